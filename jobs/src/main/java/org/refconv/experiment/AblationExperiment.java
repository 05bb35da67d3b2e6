package org.refconv.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.refconv.cli.JobMain;
import org.refconv.data.SparkJobs;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.io.HadoopFiles;
import org.refconv.retrain.DatasetStage;
import org.refconv.train.DistributedTraining;
import org.refconv.train.Metrics;
import org.refconv.train.RankTrainer;
import org.refconv.train.RunConfigFile;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;

/**
 * The ablation experiment on real data (issue 7): Fashion-MNIST from Debian -> a prepared dataset; per model, a
 * basis pretrained once, then every method (refconv, retrain, finetune, rep-adapter, ...) trained from that same
 * basis with several seeds; a table of validation top-1 mean ± std per method. Finished runs are not redone: rerun
 * after a failure and it continues (a partial run resumes from its checkpoint).
 * Usage: {@code experiment --config conf/experiment.conf [--key value ...]} (deploy/bin/experiment).
 */
public final class AblationExperiment {

    static final String BASIS = "basis (pretrain)";
    /** Polled while a training stage waits for task slots. */
    private static final long SLOT_WAIT_MILLIS = 120_000;

    private final SparkSession spark;
    private final Configuration conf;

    public AblationExperiment(SparkSession spark) {
        this.spark = spark;
        this.conf = spark.sparkContext().hadoopConfiguration();
    }

    public static void main(String[] args) throws Exception {
        ExperimentConfig c = JobMain.parseOrExit("experiment", () -> {
            ExperimentConfig parsed = ExperimentConfig.fromArgs(args);
            requireSameSettings(parsed, new Configuration());
            return parsed;
        });
        try (SparkSession spark = SparkJobs.session("refconv-experiment", c.master())) {
            new AblationExperiment(spark).run(c);
        }
    }

    /**
     * Refuses, before any Spark, a rerun whose settings differ from those of the runs already in its work folder:
     * finished runs are reused and partial ones resumed, which is only right when they were made with these settings
     * (e.g. {@code --train.epochs 3} over a folder of 1-epoch runs needs another {@code --work}).
     */
    static void requireSameSettings(ExperimentConfig c, Configuration conf) throws IOException {
        for (String model : c.models()) {
            RunConfigFile.requireSameTrajectory(
                    c.pretrain().get(model), conf, "use another --basisWork (or --work), or the same settings");
            for (List<TrainConfig> perSeed : c.runs(model)) {
                for (TrainConfig t : perSeed) {
                    RunConfigFile.requireSameTrajectory(t, conf, "use another --work, or the same settings");
                }
            }
        }
    }

    public ResultTable run(ExperimentConfig c) throws Exception {
        long start = System.nanoTime();
        FashionMnistDemoDataset.Options tree = new FashionMnistDemoDataset.Options(
                Path.of(c.fashionMnist()),
                Path.of(new org.apache.hadoop.fs.Path(c.prepare().get(PrepareConfig.INPUT))
                        .toUri()
                        .getPath()),
                c.imageSize(),
                c.perClass(),
                c.valPerClass(),
                95,
                false,
                c.classes());
        System.out.println("experiment: dataset " + DatasetStage.ensure(spark, conf, tree, c.prepare()));
        if (c.transfer() != null) {
            TransferBasis t = c.transfer();
            FashionMnistDemoDataset.Options basisTree = new FashionMnistDemoDataset.Options(
                    Path.of(c.fashionMnist()),
                    Path.of(new org.apache.hadoop.fs.Path(t.prepare().get(PrepareConfig.INPUT))
                            .toUri()
                            .getPath()),
                    c.imageSize(),
                    t.basisPerClass(),
                    c.valPerClass(),
                    95,
                    false,
                    t.basisClasses());
            System.out.println("experiment: basis dataset " + DatasetStage.ensure(spark, conf, basisTree, t.prepare()));
        }
        int total = c.models().size() * (1 + c.methods().size() * c.seeds());
        int done = 0;
        ResultTable table = new ResultTable();
        for (String model : c.models()) {
            TrainConfig pre = c.pretrain().get(model);
            System.out.printf("%nexperiment [%d/%d] %s: pretraining the basis%n", ++done, total, model);
            table.add(train(pre, BASIS));
            List<List<TrainConfig>> runs = c.runs(model);
            for (int m = 0; m < c.methods().size(); m++) {
                for (TrainConfig t : runs.get(m)) {
                    System.out.printf(
                            "%nexperiment [%d/%d] %s: %s, seed %d%n",
                            ++done, total, model, c.methods().get(m).label(), t.seed());
                    table.add(train(t, c.methods().get(m).label()));
                }
            }
            write(c, table); // after each model: a long experiment shows its first results early
        }
        String report = report(c, table, (System.nanoTime() - start) / 1e9);
        System.out.println();
        System.out.print(report);
        return table;
    }

    /** Trains one run unless it has finished before; its final validation top-1/top-5 either way. */
    private ResultTable.Run train(TrainConfig t, String method) throws Exception {
        long t0 = System.nanoTime();
        org.apache.hadoop.fs.Path model =
                new org.apache.hadoop.fs.Path(RunLayout.of(t.output()).model());
        if (model.getFileSystem(conf).exists(model)) {
            List<Metrics.Row> rows = Metrics.read(t.output(), conf);
            Metrics.Row last = rows.get(rows.size() - 1);
            System.out.printf(
                    Locale.ROOT, "experiment: already done (%s): top-1 %.2f%%%n", t.output(), 100 * last.top1());
            return new ResultTable.Run(t.model(), method, t.seed(), last.top1(), last.top5(), Double.NaN);
        }
        RankTrainer.Result r = DistributedTraining.run(spark, t, SLOT_WAIT_MILLIS)[0];
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "experiment: top-1 %.2f%%, top-5 %.2f%% after %d steps (%.0f s)%n",
                100 * r.top1(),
                100 * r.top5(),
                r.steps(),
                secs);
        return new ResultTable.Run(t.model(), method, t.seed(), r.top1(), r.top5(), secs);
    }

    private void write(ExperimentConfig c, ResultTable table) throws IOException {
        byte[] csv = table.csv().getBytes(StandardCharsets.UTF_8);
        HadoopFiles.writeAtomically(c.work() + "/results.csv", conf, out -> out.write(csv));
    }

    /** A per-class image cap as the table's title says it: 0 takes every image. */
    private static String perClass(int cap) {
        return cap == 0 ? "all" : String.format(Locale.ROOT, "at most %,d", cap);
    }

    private String report(ExperimentConfig c, ResultTable table, double seconds) throws IOException {
        String text = String.format(
                Locale.ROOT,
                "Ablation on Fashion-MNIST (%d px; %s train images per class,"
                        + " %s validation images per class; %d seeds; validation top-1 after the last epoch)%n%n%s%n"
                        + "Reference, the paper (ImageNet, not this data): RefConv improves top-1 by up to 1.47 points"
                        + " over the baseline (abstract). Its per-method Tables 4-5 could not be retrieved here, so"
                        + " no per-cell paper numbers are printed.%nTotal %.1f min; runs in %s/results.csv%n",
                c.imageSize(),
                perClass(c.perClass()),
                perClass(c.valPerClass()),
                c.seeds(),
                c.transfer() == null
                        ? table.markdown(BASIS)
                        : table.markdown("linear-probe", "vs linear-probe")
                                + "\nThe basis was pretrained on classes "
                                + c.transfer().basisClasses()
                                + " (its top-1 is on those); the methods adapt it to classes " + c.classes()
                                + " with a new head.\n",
                seconds / 60,
                c.work());
        byte[] md = text.getBytes(StandardCharsets.UTF_8);
        HadoopFiles.writeAtomically(c.work() + "/results.md", conf, out -> out.write(md));
        return text;
    }
}
