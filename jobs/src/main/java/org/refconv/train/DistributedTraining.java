package org.refconv.train;

import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
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
 * Runs a training job as a series of attempts ({@link Attempt}), each one Spark barrier stage of between
 * {@code minRanks} and {@code ranks} tasks (all start together or none does). The driver decides what follows an
 * attempt ({@link AttemptPlan}): a finished run returns; a failed or hung attempt is followed by one that resumes
 * from the newest checkpoint, on as many executors as have slots once {@code resizeGrace} has passed; a resized
 * attempt is asked to end at a checkpoint when the slots come back. The driver shows a progress bar from the file
 * rank 0 writes.
 */
public final class DistributedTraining {

    private DistributedTraining() {}

    public static RankTrainer.Result[] run(SparkSession spark, TrainConfig config, long slotWaitMillis)
            throws InterruptedException, IOException {
        SparkContext sc = spark.sparkContext();
        FixedSlots.check(sc.getConf());
        NativeMemory.warn(sc.getConf(), config);
        Elasticity elastic = Elasticity.of(config);
        AttemptPlan plan = new AttemptPlan(
                config, elastic, sc.conf().getInt("spark.stage.maxConsecutiveAttempts", 4), sc.hadoopConfiguration());
        int executors = awaitSlots(sc, elastic, slotWaitMillis);
        // What rebuilds this run's model later (publish); written before any work so a partial run has it too.
        RunConfigFile.write(config, sc.hadoopConfiguration());
        RunFiles files = new RunFiles(config.output(), sc.hadoopConfiguration());
        ExecutorService submitter = Executors.newSingleThreadExecutor(r -> new Thread(r, "refconv-attempt"));
        try (AttemptWatch watch = new AttemptWatch(sc);
                ProgressBar bar = ProgressBar.follow(files)) {
            Attempt attempt = Attempt.first();
            while (true) {
                plan.started(attempt, executors, files, sc.hadoopConfiguration());
                Attempt current = attempt;
                int size = executors;
                Future<List<RankTrainer.Result>> job = submitter.submit(() -> runStage(sc, config, current, size));
                Optional<String> silent = monitor(sc, job, watch, elastic, attempt, executors, files.layout());
                List<RankTrainer.Result> results = null;
                Throwable failure = null;
                if (silent.isPresent()) {
                    sc.cancelJobGroup(group(attempt));
                    failure = new IllegalStateException("attempt " + attempt.number() + " hung: executor "
                            + silent.get() + " sent no heartbeat for "
                            + elastic.peerTimeout().toSeconds() + " s");
                } else {
                    try {
                        results = job.get();
                    } catch (ExecutionException e) {
                        failure = e.getCause();
                    }
                }
                if (results != null && results.get(0).finished()) {
                    return results.stream()
                            .sorted(Comparator.comparingInt(RankTrainer.Result::rank))
                            .toArray(RankTrainer.Result[]::new);
                }
                String reason = failure == null ? "slots for all ranks came back" : plan.failed(failure);
                System.out.println("attempt " + attempt.number() + " ended: " + reason);
                var killed = watch.stopTasks(silent.stream().collect(Collectors.toSet()), elastic.peerTimeout());
                if (!killed.isEmpty()) {
                    System.out.println("killed and replaced executors " + killed + ", whose task did not stop");
                }
                executors = awaitSlots(sc, elastic, slotWaitMillis);
                plan.next(reason);
                attempt = attempt.next();
            }
        } finally {
            submitter.shutdownNow();
        }
    }

    /** One attempt's barrier stage; its results, or the failure that aborted it. */
    private static List<RankTrainer.Result> runStage(SparkContext sc, TrainConfig config, Attempt attempt, int tasks) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        jsc.setJobGroup(
                group(attempt),
                String.format(
                        "RefConv %s %s: %d ranks on %d executors x batch %d, %d epochs (barrier stage, attempt %d)",
                        config.mode(),
                        config.model(),
                        config.ranks(),
                        tasks,
                        config.batchPerRank(),
                        config.epochs(),
                        attempt.number()),
                true);
        try {
            RDD<Integer> ranks = jsc.parallelize(
                            IntStream.range(0, tasks).boxed().toList(), tasks)
                    .rdd();
            ClassTag<RankTrainer.Result> tag = ClassTag$.MODULE$.apply(RankTrainer.Result.class);
            // A barrier result stage: a failure aborts it at once, and the driver, not Spark, decides what follows.
            RDD<RankTrainer.Result> results = ranks.barrier()
                    .mapPartitions(new RankTask(config, copy(sc.hadoopConfiguration()), attempt), false, tag);
            return JavaRDD.fromRDD(results, tag).collect();
        } finally {
            jsc.clearJobGroup();
        }
    }

    /**
     * Waits for the attempt's stage to end, or for one of its executors to fall silent (returned);
     * asks a resized attempt to stop at its next checkpoint once the cluster has slots for every rank again.
     */
    private static Optional<String> monitor(
            SparkContext sc,
            Future<?> job,
            AttemptWatch watch,
            Elasticity elastic,
            Attempt attempt,
            int executors,
            RunLayout layout)
            throws InterruptedException, IOException {
        boolean stopAsked = false;
        while (!job.isDone()) {
            Optional<String> silent = watch.silent(elastic.peerTimeout());
            if (silent.isPresent()) {
                return silent;
            }
            if (!stopAsked && executors < elastic.ranks() && slots(sc) >= elastic.ranks()) {
                System.out.println("slots for all " + elastic.ranks() + " ranks are back: attempt " + attempt.number()
                        + " ends at its next checkpoint");
                AttemptFence.requestStop(layout, sc.hadoopConfiguration(), attempt.id(0));
                stopAsked = true;
            }
            Thread.sleep(500);
        }
        return Optional.empty();
    }

    private static String group(Attempt attempt) {
        return "refconv-train-attempt-" + attempt.number();
    }

    /**
     * The executors the next attempt runs on: {@code ranks} once the cluster has that many task slots; a resizable
     * run takes what there is (at least {@code minRanks}) after {@code resizeGrace}. A barrier stage needs all its
     * tasks running at once, and Spark itself re-checks for 40 x 15 s before giving up: fail sooner, and clearly.
     */
    static int awaitSlots(SparkContext sc, Elasticity elastic, long waitMillis) throws InterruptedException {
        long start = System.currentTimeMillis();
        while (true) {
            int slots = slots(sc);
            long waited = System.currentTimeMillis() - start;
            if (slots >= elastic.ranks()) {
                return elastic.ranks();
            }
            if (slots >= elastic.minRanks() && waited >= elastic.resizeGrace().toMillis()) {
                return slots;
            }
            if (waited
                    > Math.max(
                            waitMillis,
                            elastic.resizable() ? elastic.resizeGrace().toMillis() : 0)) {
                throw new IllegalStateException("ranks = " + elastic.ranks()
                        + (elastic.resizable() ? " (minRanks = " + elastic.minRanks() + ")" : "")
                        + " but the cluster offers " + slots + " task slots after " + waited / 1000
                        + " s (executors x cores / spark.task.cpus): lower ranks or add executors");
            }
            Thread.sleep(250);
        }
    }

    private static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }

    private static Map<String, String> copy(Configuration conf) {
        Map<String, String> out = new HashMap<>();
        conf.forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
