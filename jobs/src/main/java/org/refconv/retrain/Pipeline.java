package org.refconv.retrain;

import java.io.IOException;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.refconv.config.ConfigException;
import org.refconv.data.prepare.DatasetOutput;
import org.refconv.models.ModelZoo;
import org.refconv.publish.PublishResult;
import org.refconv.publish.Publisher;
import org.refconv.train.DistributedTraining;
import org.refconv.train.ModelBuilder;
import org.refconv.train.RankTrainer;
import org.refconv.train.RunConfigFile;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;

/**
 * Scheduled retraining under one run id: prepare -> pretrain (only without a given basis) -> refocus -> publish.
 * Every stage's output lives under {@code <work>/<runId>/}; a stage whose complete output exists is skipped, a
 * partial one is resumed (prepare restarts from its atomic temp folder; training resumes from its newest
 * checkpoint; publish finishes an interrupted promotion), so rerunning the same run id after any failure is safe.
 */
public final class Pipeline {

    /** How long a training stage waits for enough executor task slots before failing. */
    private static final long SLOT_WAIT_MILLIS = 120_000;

    private final SparkSession spark;
    private final Configuration conf;

    public Pipeline(SparkSession spark) {
        this.spark = spark;
        this.conf = spark.sparkContext().hadoopConfiguration();
    }

    /** File-system checks that need no cluster: run before the Spark session is made. */
    public static void preflight(PipelineConfig c, Configuration conf) throws IOException {
        if (!ModelZoo.names().contains(c.refocus().model())) {
            throw new ConfigException(
                    "unknown model '" + c.refocus().model() + "' (known: " + String.join(", ", ModelZoo.names()) + ")");
        }
        if (c.prepare() != null) {
            requireExists(c.input(), "input", conf);
        }
        if (c.prepare() == null) {
            requireExists(c.data() + "/" + DatasetOutput.MANIFEST, "data (a prepared dataset)", conf);
        }
        if (!c.basis().isEmpty()) {
            requireExists(c.basis(), "basis", conf);
            ModelBuilder.checkCheckpointIn(c.refocus(), conf);
        }
    }

    public PipelineSummary run(PipelineConfig c) throws Exception {
        long start = System.nanoTime();
        PipelineSummary.Builder summary = new PipelineSummary.Builder(c.runId());
        System.out.println("pipeline: run " + c.runId() + " in " + c.runDir());

        stage(1, "prepare", () -> prepare(c, summary));
        stage(2, "pretrain", () -> {
            if (c.pretrain() == null) {
                summary.stage("pretrain", "skipped: basis given (" + c.basis() + ")");
            } else {
                train(c.pretrain(), summary, "pretrain");
            }
        });
        stage(3, "refocus", () -> train(c.refocus(), summary, "refocus"));
        stage(4, "publish", () -> {
            PublishResult r = new Publisher(conf).publish(c.publish());
            summary.published(r);
            summary.stage("publish", r.alreadyPublished() ? "skipped: version already published" : "done");
        });
        return summary.seconds((System.nanoTime() - start) / 1e9).build();
    }

    private void prepare(PipelineConfig c, PipelineSummary.Builder summary) throws IOException {
        if (c.prepare() == null) {
            summary.stage("prepare", "skipped: prepared dataset given (" + c.data() + ")");
            return;
        }
        summary.stage("prepare", DatasetStage.ensure(spark, conf, null, c.prepare()));
    }

    /** Runs a training stage unless its model exists; a partial run resumes from its newest checkpoint. */
    private void train(TrainConfig t, PipelineSummary.Builder summary, String name) throws Exception {
        Path model = new Path(RunLayout.of(t.output()).model());
        RunConfigFile.requireSameTrajectory(
                t, conf, "use a new runId for its " + name + " stage, or the same settings");
        if (model.getFileSystem(conf).exists(model)) {
            summary.stage(name, "skipped: complete (" + model + ")");
            return;
        }
        RankTrainer.Result r = DistributedTraining.run(spark, t, SLOT_WAIT_MILLIS)[0];
        summary.stage(
                name,
                String.format(
                        Locale.ROOT,
                        "done: %d steps%s, last loss %.4f, val top-1 %.2f%% (%d ranks)",
                        r.steps(),
                        r.resumedFromStep() > 0 ? " (resumed from step " + r.resumedFromStep() + ")" : "",
                        r.lastLoss(),
                        100 * r.top1(),
                        t.ranks()));
    }

    private interface StageBody {
        void run() throws Exception;
    }

    private static void stage(int index, String name, StageBody body) throws Exception {
        long start = System.nanoTime();
        System.out.printf("%n== [%d/4] %s%n", index, name);
        body.run();
        System.out.printf(Locale.ROOT, "== [%d/4] %s: %.0f s%n", index, name, (System.nanoTime() - start) / 1e9);
    }

    private static void requireExists(String uri, String what, Configuration conf) throws IOException {
        Path p = new Path(uri);
        if (!p.getFileSystem(conf).exists(p)) {
            throw new ConfigException(what + ": " + uri + " does not exist");
        }
    }
}
