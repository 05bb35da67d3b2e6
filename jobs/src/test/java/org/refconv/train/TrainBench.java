package org.refconv.train;

import java.nio.file.Path;
import java.util.ArrayList;
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
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.dist.BlockingGradientSync;
import org.refconv.dist.GradientSync;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.StepScope;
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
 * the model's gradient size. Every figure twice: over all steps of a run, and from its median step time (which
 * leaves out the first step's one-time costs, oneDNN kernels for new shapes and the Reducer's bucket rebuild, and
 * the steps this shared machine stalls), what a long run settles at. Variants
 * run in an order that rotates from round to round; each ratio is the median of its per-round ratios. Run:
 * {@code mvn -Pbench -pl jobs -am test -Dtest=TrainBench -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dbench.batch=N} (global batch B, default 64),
 * {@code -Dbench.steps=N} (24), {@code -Dbench.rounds=N} (5), {@code -Dbench.imageSize=N} (32) and {@code -Dbench.variants=...} (default
 * {@code one,half,two,pair,refocus}; also {@code blocking}: the all-reduce after backward, {@code fp16}: the
 * float16-compressed all-reduce) adjust it. Prints figures; asserts nothing.
 */
@Tag("bench")
class TrainBench {

    private static final String MODEL = System.getProperty("bench.model", "resnet18_small");
    private static final int STEPS = Integer.parseInt(System.getProperty("bench.steps", "24"));
    private static final int ROUNDS = Integer.parseInt(System.getProperty("bench.rounds", "5"));
    /** Global batch: 64 is 32 per rank on 2 ranks, the paper's per-GPU batch (256 on 8 GPUs). */
    private static final int BATCH = Integer.parseInt(System.getProperty("bench.batch", "64"));
    /** The training crop: the Fashion-MNIST tree is 32 px, larger crops upsample it (224: ImageNet's shapes). */
    private static final int IMAGE_SIZE = Integer.parseInt(System.getProperty("bench.imageSize", "32"));

    private static final GradientSync.Mode OVERLAPPED = GradientSync.Mode.OVERLAPPED;
    private static final GradientSync.Mode BLOCKING = GradientSync.Mode.BLOCKING;
    private static final GradientSync.Compression NONE = GradientSync.Compression.NONE;
    private static final String ONE = "1 rank, batch B";
    private static final String ONE_HALF = "1 rank, batch B/2";
    private static final String TWO = "2 ranks x B/2, all-reduce during backward";
    private static final String PAIR = "2 independent 1-rank jobs at once, B/2 each (sum)";
    private static final String REFOCUS = "2 ranks x B/2 refocus";
    private static final String BLOCKING_ROW = "2 ranks x B/2, all-reduce after backward";
    private static final String FP16 = "2 ranks x B/2, float16-compressed all-reduce";
    private static final String BF16 = "2 ranks x B/2, precision bf16";
    private static final String BF16_REFOCUS = "2 ranks x B/2 refocus, precision bf16";
    private static final Map<String, String> VARIANT_IDS = Map.of(
            "one",
            ONE,
            "half",
            ONE_HALF,
            "two",
            TWO,
            "pair",
            PAIR,
            "refocus",
            REFOCUS,
            "blocking",
            BLOCKING_ROW,
            "fp16",
            FP16,
            "bf16",
            BF16,
            "bf16-refocus",
            BF16_REFOCUS);
    /**
     * Which variants to time. The blocking and float16 all-reduce are comparisons only (fp16 rounds gradients): not
     * in the default; nor bf16 autocast ({@code bf16,bf16-refocus} beside {@code two,refocus}: bf16/fp32 step time
     * through the job), emulated and several times slower than fp32 on CPUs without AVX512_BF16 or AMX. {@code -Dbench.variants=two,refocus} times only what refocus/pretrain needs.
     */
    private static final String VARIANTS = System.getProperty("bench.variants", "one,half,two,pair,refocus");

    /** One timed variant: its run(s) in the given round. */
    private interface Variant {
        Timing run(int round) throws Exception;
    }

    /** Images/s over all steps and from the median step; rank 0's median time per phase of a step. */
    private record Timing(double imagesPerSecond, double medianStepImagesPerSecond, Map<String, Double> phases) {}

    /** The bench's session, prepared images and run folders: set once by the test, read by every run. */
    private SparkSession spark;

    private String data;
    private Path root;

    @Test
    void printScalingAndRefocusCost() throws Exception {
        // A fresh start: run directories left by an earlier bench would be resumed from (or refused).
        root = TinyPipeline.fresh(Path.of("target", "bench-train").toAbsolutePath());
        try (LoopbackCluster cluster = new LoopbackCluster(root.resolve("cluster"), 2)) {
            spark = cluster.session("refconv-train-bench");
            Path tree = root.resolve("tree");
            // Enough training images for STEPS steps in one epoch; a small validation split (it is not timed).
            int perClass = (STEPS * BATCH + 9) / 10;
            FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                    Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, perClass, 10, 90, true));
            data = root.resolve("prepared").toUri().toString();
            TinyPipeline.prepare(spark, tree, data, 32);
            // Warm-up runs: executors load libtorch, the JVM and oneDNN JIT-compile the kernels of both modes once,
            // outside the measurements.
            run("warmup", "pretrain", 2, BATCH, "", OVERLAPPED, NONE);
            String basis = root.resolve("warmup/model.safetensors").toUri().toString();
            run("warmup-refocus", "refocus", 2, BATCH, basis, OVERLAPPED, NONE);
            // Each variant: images/s {all steps, median step}. The order rotates from round to round, so
            // that no variant always follows the same one (the machine drifts within a round, too).
            Map<String, Variant> all = new LinkedHashMap<>();
            all.put(ONE, r -> run("one-" + r, "pretrain", 1, BATCH, "", OVERLAPPED, NONE));
            all.put(ONE_HALF, r -> run("one-half-" + r, "pretrain", 1, BATCH / 2, "", OVERLAPPED, NONE));
            all.put(TWO, r -> run("two-" + r, "pretrain", 2, BATCH, "", OVERLAPPED, NONE));
            all.put(PAIR, r -> runIndependentPair("pair-" + r));
            all.put(REFOCUS, r -> run("ref-" + r, "refocus", 2, BATCH, basis, OVERLAPPED, NONE));
            all.put(BLOCKING_ROW, r -> run("two-blocking-" + r, "pretrain", 2, BATCH, "", BLOCKING, NONE));
            all.put(
                    FP16,
                    r -> run("two-fp16-" + r, "pretrain", 2, BATCH, "", OVERLAPPED, GradientSync.Compression.FP16));
            all.put(BF16, r -> run("two-bf16-" + r, "pretrain", 2, BATCH, "", OVERLAPPED, NONE, "bf16"));
            all.put(BF16_REFOCUS, r -> run("ref-bf16-" + r, "refocus", 2, BATCH, basis, OVERLAPPED, NONE, "bf16"));
            Map<String, Variant> variants = new LinkedHashMap<>();
            for (String id : VARIANTS.split(",")) {
                String name = VARIANT_IDS.get(id.trim());
                if (name == null) {
                    throw new IllegalArgumentException(
                            "bench.variants: unknown variant '" + id + "'; known: " + VARIANT_IDS.keySet());
                }
                variants.put(name, all.get(name));
            }
            List<String> names = List.copyOf(variants.keySet());
            Map<String, double[][]> figures = new LinkedHashMap<>();
            names.forEach(n -> figures.put(n, new double[2][ROUNDS]));
            Map<String, List<Map<String, Double>>> phases = new LinkedHashMap<>();
            names.forEach(n -> phases.put(n, new ArrayList<>()));
            for (int i = 0; i < ROUNDS; i++) {
                StringBuilder line = new StringBuilder("  round " + i + ":");
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get((i + k) % names.size());
                    Timing r = variants.get(name).run(i);
                    figures.get(name)[0][i] = r.imagesPerSecond();
                    figures.get(name)[1][i] = r.medianStepImagesPerSecond();
                    phases.get(name).add(r.phases());
                    line.append(String.format(
                            Locale.ROOT, "  %s %.1f (%.1f)", name, r.imagesPerSecond(), r.medianStepImagesPerSecond()));
                }
                System.out.println(line);
            }
            System.out.printf(
                    "%nTRAIN BENCH %s %d px, global batch %d, %d steps, 1 thread per rank, channels-last "
                            + "batches; %d rounds, order rotated; img/s over all steps, and (from the median step)%n",
                    MODEL, IMAGE_SIZE, BATCH, STEPS, ROUNDS);
            System.out.println("  each ratio: median over rounds of the ratio within a round (variants of one round ran"
                    + " minutes apart, rounds drift), [in brackets] the ratio of the medians");
            for (int k = 0; k < 2; k++) {
                System.out.printf("  %s:%n", k == 0 ? "all steps" : "median step");
                int at = k;
                figures.forEach((n, f) ->
                        System.out.printf(Locale.ROOT, "    %-58s %8.1f img/s (median)%n", n, Median.of(f[at])));
                Ratios ratios = new Ratios(figures, at);
                ratios.print(
                        "scaling efficiency, per-rank batch fixed (weak, as DDP/Horovod report)", TWO, 1, ONE_HALF, 2);
                ratios.print("scaling efficiency, global batch fixed (strong)", TWO, 1, ONE, 2);
                ratios.print(
                        "2 independent jobs / 2 x 1 rank (what 2 busy cores give here without communication)",
                        PAIR,
                        1,
                        ONE_HALF,
                        2);
                ratios.print("2 ranks / 2 independent jobs (the cost of synchronous training itself)", TWO, 1, PAIR, 1);
                ratios.print("refocus/pretrain step time", TWO, 1, REFOCUS, 1);
                ratios.print("weak scaling with " + BLOCKING_ROW, BLOCKING_ROW, 1, ONE_HALF, 2);
                ratios.print("weak scaling with " + FP16, FP16, 1, ONE_HALF, 2);
                ratios.print("bf16/fp32 step time, pretrain", TWO, 1, BF16, 1);
                ratios.print("bf16/fp32 step time, refocus", REFOCUS, 1, BF16_REFOCUS, 1);
            }
            printPhases(phases);
        }
        printAllReduceBandwidth();
    }

    /**
     * Ratios a/(scaleB * b) between two variants: the median of the per-round ratios (both ran in the same round,
     * minutes apart) and the ratio of the medians. Skipped when either variant was not timed.
     */
    private record Ratios(Map<String, double[][]> figures, int at) {
        void print(String label, String a, double scaleA, String b, double scaleB) {
            if (!figures.containsKey(a) || !figures.containsKey(b)) {
                return;
            }
            double[] x = figures.get(a)[at];
            double[] y = figures.get(b)[at];
            double[] perRound = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                perRound[i] = scaleA * x[i] / (scaleB * y[i]);
            }
            System.out.printf(
                    Locale.ROOT,
                    "    %s: %.3f [%.3f]  per round %s%n",
                    label,
                    Median.of(perRound),
                    scaleA * Median.of(x) / (scaleB * Median.of(y)),
                    format(perRound));
        }

        private static String format(double[] v) {
            StringBuilder s = new StringBuilder();
            for (double d : v) {
                s.append(String.format(Locale.ROOT, " %.3f", d));
            }
            return s.toString().trim();
        }
    }

    /** Where a step's time goes, per variant: rank 0's median seconds per phase, then the median over rounds. */
    private static void printPhases(Map<String, List<Map<String, Double>>> phases) {
        System.out.println("  rank 0's median time per phase of a step (ms), median over rounds:");
        phases.forEach((variant, rounds) -> {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    %-58s", variant));
            for (String phase : rounds.get(0).keySet()) {
                double[] ms =
                        rounds.stream().mapToDouble(m -> 1e3 * m.get(phase)).toArray();
                line.append(String.format(Locale.ROOT, " %s %.1f", phase, Median.of(ms)));
            }
            System.out.println(line);
        });
    }

    /**
     * Two 1-rank pretrain jobs at the per-rank batch, submitted at once (one per worker core): their summed images/s
     * is the ceiling for 2 ranks on this machine, where both cores are busy and share caches and memory bandwidth.
     */
    private Timing runIndependentPair(String name) throws Exception {
        ExecutorService submitters = Executors.newFixedThreadPool(2);
        try {
            List<Future<Timing>> jobs = new ArrayList<>();
            for (int j = 0; j < 2; j++) {
                String job = name + "-" + j;
                jobs.add(submitters.submit(() -> run(job, "pretrain", 1, BATCH / 2, "", OVERLAPPED, NONE)));
            }
            Timing a = jobs.get(0).get();
            Timing b = jobs.get(1).get();
            return new Timing(
                    a.imagesPerSecond() + b.imagesPerSecond(),
                    a.medianStepImagesPerSecond() + b.medianStepImagesPerSecond(),
                    a.phases());
        } finally {
            submitters.shutdown();
        }
    }

    private Timing run(
            String name,
            String mode,
            int ranks,
            int batch,
            String basis,
            GradientSync.Mode sync,
            GradientSync.Compression compression)
            throws Exception {
        return run(name, mode, ranks, batch, basis, sync, compression, "fp32");
    }

    private Timing run(
            String name,
            String mode,
            int ranks,
            int batch,
            String basis,
            GradientSync.Mode sync,
            GradientSync.Compression compression,
            String precision)
            throws Exception {
        TrainConfig c = TrainArgs.fashion(
                        mode, MODEL, data, root.resolve(name).toUri().toString())
                .shortRun(1, batch, ranks, STEPS)
                .with("imageSize", IMAGE_SIZE)
                .with("precision", precision)
                .with("checkpointEvery", 100000)
                .with("checkpointIn", basis)
                .with("gradientSync", sync.name())
                .with("gradientCompression", compression.name())
                .config();
        RankTrainer.Result r = DistributedTraining.run(spark, c, 60_000)[0];
        return new Timing(r.imagesPerSecond(), r.medianStepImagesPerSecond(), r.medianPhaseSeconds());
    }

    /** Two Gloo ranks over loopback TCP (threads of this JVM), all-reducing the model's whole gradient. */
    private static void printAllReduceBandwidth() throws Exception {
        Engine.manualSeed(0);
        long numel = Modules.count(Modules.trainableParameters(ModelZoo.create(MODEL, ConvFactory.plain(), 3, 10, 32))
                .values());
        List<Double> seconds = LocalRanks.run(2, c -> {
            Tensor g = Tensors.requiresGrad(Tensors.zeros(numel), true);
            g.sum().backward();
            BlockingGradientSync avg =
                    new BlockingGradientSync(c, List.of(g), BlockingGradientSync.DEFAULT_BUCKET_BYTES);
            avg.average();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                // As in a training step: the flattened buckets are freed when the scope closes, so the next call
                // reuses their memory. Without it every call maps fresh pages, and first touches cost ~16 us per
                // 4 KB page on the CI VM: 0.13-0.15 GB/s measured, against 0.95 with the scope.
                try (StepScope ignored = StepScope.openWithoutTrim()) {
                    avg.average();
                }
                times.add((System.nanoTime() - t0) / 1e9);
            }
            return Median.of(times.stream().mapToDouble(Double::doubleValue).toArray());
        });
        double bytes = numel * 4.0;
        System.out.printf(
                "  all-reduce (Gloo, 2 ranks, loopback): %.1f MB gradient in %.1f ms = %.2f GB/s%n",
                bytes / 1e6, seconds.get(0) * 1e3, bytes / seconds.get(0) / 1e9);
    }
}
