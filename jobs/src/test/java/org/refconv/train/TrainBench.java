package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.refconv.data.config.PrepareConfig;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.prepare.Preparer;
import org.refconv.dist.GradientAverager;
import org.refconv.dist.GradientSync;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;
import org.refconv.publish.TinyPipeline;

/**
 * Training throughput on the loopback standalone cluster (2 one-core workers). Scaling efficiency of 2 ranks (1 thread
 * each) against 1 rank, both ways: with the per-rank batch fixed (1 rank at batch B/2; weak scaling, what DDP and
 * Horovod report) and with the global batch fixed (1 rank at batch B; strong scaling, which also counts that a
 * batch of B/2 costs more per image than one of B). Two independent 1-rank jobs running at once show what 2 busy
 * cores give on this machine without any communication, so 2 ranks / that pair is the cost of synchronous training
 * itself. Pretrain vs refocus on the same model and data gives RefConv's training cost; Gloo all-reduce bandwidth for
 * the model's gradient size. Every figure twice: over all steps of a run, and after its first step (which pays
 * one-time costs: oneDNN kernels for new shapes, the Reducer's bucket rebuild), what a long run settles at. Variants
 * run in an order that rotates from round to round; each figure is the median over rounds. Run:
 * {@code mvn -Pbench -pl jobs -am test -Dtest=TrainBench -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dbench.batch=N} (global batch B, default 64),
 * {@code -Dbench.steps=N} (24), {@code -Dbench.rounds=N} (5), {@code -Dbench.blocking=true} (also time the blocking
 * all-reduce) and {@code -Dbench.fp16=true} (also time the float16-compressed all-reduce) adjust it. Prints figures;
 * asserts nothing.
 */
@Tag("bench")
class TrainBench {

    private static final String MODEL = System.getProperty("bench.model", "resnet18_small");
    private static final int STEPS = Integer.parseInt(System.getProperty("bench.steps", "24"));
    private static final int ROUNDS = Integer.parseInt(System.getProperty("bench.rounds", "5"));
    /** The blocking all-reduce variant is a comparison only: timed when -Dbench.blocking=true. */
    private static final boolean TIME_BLOCKING = Boolean.getBoolean("bench.blocking");
    /** float16-compressed all-reduce (it rounds gradients; off by default): timed when -Dbench.fp16=true. */
    private static final boolean TIME_FP16 = Boolean.getBoolean("bench.fp16");
    /** Global batch: 64 is 32 per rank on 2 ranks, the paper's per-GPU batch (256 on 8 GPUs). */
    private static final int BATCH = Integer.parseInt(System.getProperty("bench.batch", "64"));
    private static final GradientSync.Mode OVERLAPPED = GradientSync.Mode.OVERLAPPED;
    private static final GradientSync.Mode BLOCKING = GradientSync.Mode.BLOCKING;
    private static final String ONE = "1 rank, batch B";
    private static final String ONE_HALF = "1 rank, batch B/2";
    private static final String TWO = "2 ranks x B/2, all-reduce during backward";
    private static final String PAIR = "2 independent 1-rank jobs at once, B/2 each (sum)";
    private static final String REFOCUS = "2 ranks x B/2 refocus";
    private static final String BLOCKING_ROW = "2 ranks x B/2, all-reduce after backward";
    private static final String FP16 = "2 ranks x B/2, float16-compressed all-reduce";

    /** One timed variant: images/s {all steps, after the first step} of its run(s) in the given round. */
    private interface Variant {
        double[] run(int round) throws Exception;
    }

    @Test
    void printScalingAndRefocusCost() throws Exception {
        // A fresh start: run directories left by an earlier bench would be resumed from (or refused).
        Path root = TinyPipeline.fresh(Path.of("target", "bench-train").toAbsolutePath());
        try (LoopbackCluster cluster = new LoopbackCluster(root.resolve("cluster"), 2)) {
            SparkSession spark = cluster.session("refconv-train-bench");
            Path tree = root.resolve("tree");
            // Enough training images for STEPS steps in one epoch; a small validation split (it is not timed).
            int perClass = (STEPS * BATCH + 9) / 10;
            FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                    Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, perClass, 10, 90, true));
            String data = root.resolve("prepared").toUri().toString();
            new Preparer(spark).run(PrepareConfig.fromArgs(new String[]{"--input", tree.toUri().toString(),
                    "--output", data, "--layout", "kaggle", "--rowGroupRows", "32", "--overwrite", "true"}));
            // Warm-up runs: executors load libtorch, the JVM and oneDNN JIT-compile the kernels of both modes once,
            // outside the measurements.
            run(spark, data, root, "warmup", "pretrain", 2, BATCH, "", OVERLAPPED);
            String basis = root.resolve("warmup/model.safetensors").toUri().toString();
            run(spark, data, root, "warmup-refocus", "refocus", 2, BATCH, basis, OVERLAPPED);
            // Each variant: images/s {all steps, after the first step}. The order rotates from round to round, so
            // that no variant always follows the same one (the machine drifts within a round, too).
            Map<String, Variant> variants = new LinkedHashMap<>();
            variants.put(ONE, r -> run(spark, data, root, "one-" + r, "pretrain", 1, BATCH, "", OVERLAPPED));
            variants.put(ONE_HALF, r -> run(spark, data, root, "one-half-" + r, "pretrain", 1, BATCH / 2, "",
                    OVERLAPPED));
            variants.put(TWO, r -> run(spark, data, root, "two-" + r, "pretrain", 2, BATCH, "", OVERLAPPED));
            variants.put(PAIR, r -> runIndependentPair(spark, data, root, "pair-" + r));
            variants.put(REFOCUS, r -> run(spark, data, root, "ref-" + r, "refocus", 2, BATCH, basis, OVERLAPPED));
            if (TIME_BLOCKING) {
                variants.put(BLOCKING_ROW, r -> run(spark, data, root, "two-blocking-" + r, "pretrain", 2, BATCH, "",
                        BLOCKING));
            }
            if (TIME_FP16) {
                variants.put(FP16, r -> run(spark, data, root, "two-fp16-" + r, "pretrain", 2, BATCH, "", OVERLAPPED,
                        GradientSync.Compression.FP16));
            }
            List<String> names = List.copyOf(variants.keySet());
            Map<String, double[][]> figures = new LinkedHashMap<>();
            names.forEach(n -> figures.put(n, new double[2][ROUNDS]));
            for (int i = 0; i < ROUNDS; i++) {
                StringBuilder line = new StringBuilder("  round " + i + ":");
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get((i + k) % names.size());
                    double[] r = variants.get(name).run(i);
                    figures.get(name)[0][i] = r[0];
                    figures.get(name)[1][i] = r[1];
                    line.append(String.format(Locale.ROOT, "  %s %.1f (%.1f)", name, r[0], r[1]));
                }
                System.out.println(line);
            }
            System.out.printf("%nTRAIN BENCH %s 32 px, global batch %d, %d steps, 1 thread per rank, channels-last "
                    + "batches; median of %d rounds, order rotated; img/s over all steps, and (after the first step)%n",
                    MODEL, BATCH, STEPS, ROUNDS);
            for (int k = 0; k < 2; k++) {
                int at = k;
                Map<String, Double> m = new LinkedHashMap<>();
                figures.forEach((n, f) -> m.put(n, median(f[at])));
                System.out.printf("  %s:%n", k == 0 ? "all steps" : "after the first step");
                m.forEach((n, v) -> System.out.printf(Locale.ROOT, "    %-58s %8.1f img/s%n", n, v));
                double one = m.get(ONE);
                double half = m.get(ONE_HALF);
                double two = m.get(TWO);
                double pair = m.get(PAIR);
                System.out.printf(Locale.ROOT, "    scaling efficiency, per-rank batch fixed (weak, as DDP/Horovod "
                        + "report): %.3f%n", two / (2 * half));
                System.out.printf(Locale.ROOT, "    scaling efficiency, global batch fixed (strong): %.3f%n",
                        two / (2 * one));
                System.out.printf(Locale.ROOT, "    2 independent jobs / 2 x 1 rank (what 2 busy cores give here "
                        + "without communication): %.3f%n", pair / (2 * half));
                System.out.printf(Locale.ROOT, "    2 ranks / 2 independent jobs (the cost of synchronous training "
                        + "itself): %.3f%n", two / pair);
                System.out.printf(Locale.ROOT, "    refocus/pretrain step time: %.3f%n", two / m.get(REFOCUS));
                for (String extra : new String[]{BLOCKING_ROW, FP16}) {
                    if (m.containsKey(extra)) {
                        System.out.printf(Locale.ROOT, "    weak scaling with %s: %.3f%n", extra,
                                m.get(extra) / (2 * half));
                    }
                }
            }
            spark.stop();
        }
        printAllReduceBandwidth();
    }

    private double[] run(SparkSession spark, String data, Path root, String name, String mode, int ranks, int batch,
                         String basis, GradientSync.Mode sync) throws Exception {
        return run(spark, data, root, name, mode, ranks, batch, basis, sync, GradientSync.Compression.NONE);
    }

    /**
     * Two 1-rank pretrain jobs at the per-rank batch, submitted at once (one per worker core): their summed images/s
     * is the ceiling for 2 ranks on this machine, where both cores are busy and share caches and memory bandwidth.
     */
    private double[] runIndependentPair(SparkSession spark, String data, Path root, String name) throws Exception {
        ExecutorService submitters = Executors.newFixedThreadPool(2);
        try {
            List<Future<double[]>> jobs = new ArrayList<>();
            for (int j = 0; j < 2; j++) {
                String job = name + "-" + j;
                jobs.add(submitters.submit(() -> run(spark, data, root, job, "pretrain", 1, BATCH / 2, "",
                        OVERLAPPED)));
            }
            double[] a = jobs.get(0).get();
            double[] b = jobs.get(1).get();
            return new double[]{a[0] + b[0], a[1] + b[1]};
        } finally {
            submitters.shutdown();
        }
    }

    private double[] run(SparkSession spark, String data, Path root, String name, String mode, int ranks, int batch,
                         String basis, GradientSync.Mode sync, GradientSync.Compression compression)
            throws Exception {
        TrainConfig c = TrainConfig.fromArgs(new String[]{"--mode", mode, "--model", MODEL, "--numClasses", "10",
                "--imageSize", "32", "--data", data, "--output", root.resolve(name).toUri().toString(), "--epochs", "1",
                "--warmupEpochs", "0", "--batch", String.valueOf(batch), "--lr", "0.02",
                "--ranks", String.valueOf(ranks),
                "--maxStepsPerEpoch", String.valueOf(STEPS), "--checkpointEvery", "100000", "--checkpointIn", basis,
                "--gradientSync", sync.name(), "--gradientCompression", compression.name()});
        RankTrainer.Result r = DistributedTraining.run(spark, c, 60_000)[0];
        return new double[]{r.imagesPerSecond(), r.steadyImagesPerSecond()};
    }

    /** Two Gloo ranks over loopback TCP (threads of this JVM), all-reducing the model's whole gradient. */
    private static void printAllReduceBandwidth() throws Exception {
        Engine.manualSeed(0);
        long numel = Modules.count(Modules.trainableParameters(
                ModelZoo.create(MODEL, ConvFactory.plain(), 3, 10, 32)).values());
        List<Double> seconds = LocalRanks.run(2, c -> {
            Tensor g = Tensors.requiresGrad(Tensors.zeros(numel), true);
            g.sum().backward();
            GradientAverager avg = new GradientAverager(c, List.of(g), GradientAverager.DEFAULT_BUCKET_BYTES);
            avg.average();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                avg.average();
                times.add((System.nanoTime() - t0) / 1e9);
            }
            return median(times.stream().mapToDouble(Double::doubleValue).toArray());
        });
        double bytes = numel * 4.0;
        System.out.printf("  all-reduce (Gloo, 2 ranks, loopback): %.1f MB gradient in %.1f ms = %.2f GB/s%n",
                bytes / 1e6, seconds.get(0) * 1e3, bytes / seconds.get(0) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
