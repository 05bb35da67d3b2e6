package org.refconv.train;

import java.io.IOException;
import java.util.Locale;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;
import org.refconv.config.ConfigException;
import org.refconv.data.SparkJobs;
import org.refconv.models.ModelZoo;

/**
 * Spark job {@code train}: pretrain a plain model or refocus a pretrained one, with synchronous data-parallel SGD
 * over {@code ranks} executor tasks. Usage: {@code train --config conf/train.conf [--key value ...]}.
 * Exit codes: 0 done, 2 bad configuration (nothing was started), 1 the run failed.
 */
public final class TrainJob {

    private TrainJob() {}

    public static void main(String[] args) throws Exception {
        run(args).exit();
    }

    /**
     * Runs the job: BAD_CONFIG, before any Spark session or job, when a setting, the data or checkpointIn is refused;
     * OK when the run is done. A run that fails throws.
     */
    public static ExitCode run(String[] args) throws Exception {
        Optional<TrainConfig> settings = JobMain.parse("train", () -> {
            TrainConfig c = TrainConfig.fromArgs(args);
            FixedSlots.check();
            preflight(c, new Configuration());
            return c;
        });
        if (settings.isEmpty()) {
            return ExitCode.BAD_CONFIG;
        }
        TrainConfig config = settings.get();
        String appName = "refconv-train-" + config.mode() + "-" + config.model();
        try (SparkSession spark = SparkJobs.session(appName, config.master())) {
            RankTrainer.Result[] results = DistributedTraining.run(spark, config, 120_000);
            RankTrainer.Result r0 = results[0];
            System.out.printf(
                    Locale.ROOT,
                    "train %s %s: %d steps (resumed from %d), last loss %.4f, val top-1 %.2f%%,"
                            + " top-5 %.2f%%; model %s%n",
                    config.mode(),
                    config.model(),
                    r0.steps(),
                    r0.resumedFromStep(),
                    r0.lastLoss(),
                    100 * r0.top1(),
                    100 * r0.top5(),
                    r0.model());
        }
        return ExitCode.OK;
    }

    /**
     * Checks that need a file system but no cluster: the model exists, the data's shards open with the right schema
     * and rows for every rank, checkpointIn fits the model.
     */
    static void preflight(TrainConfig config, Configuration conf) throws IOException {
        if (!ModelZoo.names().contains(config.model())) {
            throw new ConfigException(
                    "unknown model '" + config.model() + "' (known: " + String.join(", ", ModelZoo.names()) + ")");
        }
        for (String split : new String[] {"train", "val"}) {
            requireExists(config.data() + "/" + split, "data (split '" + split + "')", conf);
        }
        if (!config.checkpointIn().isEmpty()) {
            requireExists(config.checkpointIn(), "checkpointIn", conf);
            ModelBuilder.checkCheckpointIn(config, conf);
        }
        DataPreflight.check(config, conf);
        Elasticity.of(config);
    }

    private static void requireExists(String uri, String what, Configuration conf) throws IOException {
        Path p = new Path(uri);
        if (!p.getFileSystem(conf).exists(p)) {
            throw new ConfigException(what + ": " + uri + " does not exist");
        }
    }
}
