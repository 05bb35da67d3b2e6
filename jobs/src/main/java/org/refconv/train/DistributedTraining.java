package org.refconv.train;

import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Runs a training job as one Spark barrier stage of {@code ranks} tasks (all start together or none does; if one
 * fails or its executor is lost, Spark retries the whole stage and the ranks resume from the newest checkpoint). The driver shows a
 * progress bar from the file rank 0 writes.
 */
public final class DistributedTraining {

    private DistributedTraining() {}

    public static RankTrainer.Result[] run(SparkSession spark, TrainConfig config, long slotWaitMillis)
            throws InterruptedException, IOException {
        SparkContext sc = spark.sparkContext();
        FixedSlots.check(sc.getConf());
        NativeMemory.warn(sc.getConf(), config);
        awaitSlots(sc, config.ranks(), slotWaitMillis);
        // What rebuilds this run's model later (publish); written before any work so a partial run has it too.
        RunConfigFile.write(config, sc.hadoopConfiguration());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        jsc.setJobDescription(String.format(
                "RefConv %s %s: %d ranks x batch %d, %d epochs (barrier stage)",
                config.mode(), config.model(), config.ranks(), config.batchPerRank(), config.epochs()));
        RDD<Integer> ranks = jsc.parallelize(
                        IntStream.range(0, config.ranks()).boxed().toList(), config.ranks())
                .rdd();
        ClassTag<RankTrainer.Result> tag = ClassTag$.MODULE$.apply(RankTrainer.Result.class);
        RunFiles files = new RunFiles(config.output(), sc.hadoopConfiguration());
        try (ProgressBar bar = ProgressBar.follow(files)) {
            RDD<RankTrainer.Result> results =
                    ranks.barrier().mapPartitions(new RankTask(config, copy(sc.hadoopConfiguration())), false, tag);
            // The shuffle makes the barrier stage a ShuffleMapStage: Spark retries those when a task or executor is
            // lost (up to spark.stage.maxConsecutiveAttempts), but aborts a failed barrier ResultStage outright.
            List<RankTrainer.Result> collected =
                    JavaRDD.fromRDD(results, tag).coalesce(1, true).collect();
            return collected.stream()
                    .sorted(Comparator.comparingInt(RankTrainer.Result::rank))
                    .toArray(RankTrainer.Result[]::new);
        } finally {
            jsc.clearJobGroup();
        }
    }

    /**
     * A barrier stage needs all its tasks running at once. Spark itself re-checks for 40 x 15 s before giving up,
     * so fail sooner, and clearly, when the cluster has fewer task slots than ranks.
     */
    static void awaitSlots(SparkContext sc, int ranks, long waitMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + waitMillis;
        int slots;
        while ((slots = sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile())) < ranks) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("ranks = " + ranks + " but the cluster offers " + slots + " task slots"
                        + " after " + waitMillis / 1000 + " s (executors x cores / spark.task.cpus): lower ranks or"
                        + " add executors");
            }
            Thread.sleep(250);
        }
    }

    private static Map<String, String> copy(Configuration conf) {
        Map<String, String> out = new HashMap<>();
        conf.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
