package org.refconv.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Engine;
import org.refconv.engine.Precision;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Training throughput of zoo models, plain vs refocused (rule all, basis-only freezing): images/s of forward +
 * backward + SGD step, the two variants alternated round by round in one child JVM. Where /usr/bin/python3 has torch
 * and torchvision, the same shapes are timed in PyTorch eager (same threads, environment and RefConv as
 * fixtures/make_refconv_fixtures.py), one workload right after the Java one, and Java/PyTorch is printed. Each
 * workload is timed under tcmalloc (both sides preloaded alike; {@code -Dbench.allocators=glibc,tcmalloc} adds a row
 * under glibc's malloc). Java feeds channels-last batches, as the train job does by default
 * ({@code -Dbench.memoryFormat=contiguous} for NCHW); PyTorch is timed both with its default NCHW batches and with
 * channels-last ones. ref/plain is the median of per-round ratios of back-to-back steps (the machine's drift cancels in
 * them), Java/PyTorch the median of per-turn ratios of back-to-back child processes; each turn's figures are printed.
 * Then, per workload, where a step's time goes: oneDNN's verbose log split by kind of primitive (conv forward,
 * backward data, backward weights, the refocusing transform, reorders) and the rest, Java vs PyTorch, plain and
 * refocused ({@code -Dbench.breakdown=false} skips it). Also per workload the refocusing transform alone (Wt of
 * every RefConv layer, forward and backward to Wr, as a step computes it: the fused kernel where a layer uses it),
 * alternated with libtorch's autograd transform for every layer: the cost of refocusing that does not shrink with
 * the batch. Run with {@code mvn -Pbench -pl refconv-layers test -Dtest=ZooBench}; {@code -Dbench.rounds=N} (8),
 * {@code -Dbench.repeats=N} (turns, 3), {@code -Dbench.threads=N}, {@code -Dbench.workloads=resnet18,...},
 * {@code -Drefconv.trimEvery=N} (malloc_trim every N steps; 0 = never) and {@code -Drefconv.fusedTransform=false}
 * (the Java children use libtorch's transform, for a side-by-side run) adjust it.
 */
@Tag("bench")
class ZooBench {

    /** A model at one input shape. */
    record Workload(String model, int imageSize, int batch, int classes) {
        String label() {
            return model + " " + imageSize + "px b" + batch;
        }
    }

    static final List<Workload> WORKLOADS = List.of(
            new Workload("resnet18", 224, 16, 1000),
            new Workload("mobilenet_v2", 224, 16, 1000),
            new Workload("resnet18_small", 32, 128, 10));

    /** Preloaded allocator library of each variant timed ("" = glibc's malloc). */
    record Allocator(String name, String preload) {}

    @Test
    void printThroughput() throws Exception {
        int threads = Integer.getInteger("bench.threads", 2);
        int rounds = Integer.getInteger("bench.rounds", 8);
        int repeats = Integer.getInteger("bench.repeats", 3);
        String only = System.getProperty("bench.workloads", "");
        boolean torch = torchAvailable();
        List<Allocator> allocators = allocators();
        Map<Workload, Double> plainStep = new LinkedHashMap<>();
        System.out.printf(
                Locale.ROOT,
                "Zoo training-step benchmark: %d threads; per child process %d alternated "
                        + "rounds after 1 warm-up, median; %d turns of the Java and PyTorch children, median; Java batches %s; "
                        + "malloc_trim every %s steps; allocators %s; PyTorch %s%n",
                threads,
                rounds,
                repeats,
                StepBench.FORMAT.configName(),
                Integer.getInteger("refconv.trimEvery", 64),
                allocators.stream().map(Allocator::name).toList(),
                torch ? "eager (/usr/bin/python3), NCHW (its default) and channels-last" : "not available");
        System.out.printf(
                Locale.ROOT,
                "%-26s %-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s%n",
                "workload",
                "malloc",
                "plain i/s",
                "ref i/s",
                "ref/plain",
                "T pl i/s",
                "T ref i/s",
                "T r/p",
                "J/T pl",
                "J/T ref",
                "J/Tcl pl",
                "J/Tcl ref");
        for (Workload w : WORKLOADS) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(w.model())) {
                continue;
            }
            for (Allocator a : allocators) {
                // Java and PyTorch children take turns, repeats times, so that drift of the machine's speed between
                // processes hits every side alike; each figure is the median over the repeats of the child medians.
                List<double[]> javaRuns = new ArrayList<>();
                List<double[]> pyRuns = new ArrayList<>();
                List<double[]> pyClRuns = new ArrayList<>();
                for (int r = 0; r < repeats; r++) {
                    javaRuns.add(medians(runJava(w, rounds, threads, a, false), w, a));
                    if (torch) {
                        pyRuns.add(timeTorch(w, rounds, threads, a, false));
                        pyClRuns.add(timeTorch(w, rounds, threads, a, true));
                    }
                }
                double[] java = medianOf(javaRuns);
                plainStep.put(w, java[0]);
                double[] py = torch ? medianOf(pyRuns) : null;
                // Seconds per step: a ratio of times is the inverse ratio of throughputs. Java/PyTorch is the median
                // of the ratios within a turn (children run back to back), as ref/plain is within a child.
                System.out.printf(
                        Locale.ROOT,
                        "%-26s %-9s %9.1f %9.1f %9.3f %9s %9s %9s %9s %9s %9s %9s%n",
                        w.label(),
                        a.name(),
                        w.batch() / java[0],
                        w.batch() / java[1],
                        java[2],
                        py == null ? "-" : fmt(w.batch() / py[0]),
                        py == null ? "-" : fmt(w.batch() / py[1]),
                        py == null ? "-" : String.format(Locale.ROOT, "%.3f", py[2]),
                        pairedRatio(javaRuns, pyRuns, 0),
                        pairedRatio(javaRuns, pyRuns, 1),
                        pairedRatio(javaRuns, pyClRuns, 0),
                        pairedRatio(javaRuns, pyClRuns, 1));
                for (int r = 0; r < repeats; r++) {
                    System.out.printf(
                            Locale.ROOT,
                            "  turn %d: Java %s%s%s%n",
                            r,
                            turn(w, javaRuns.get(r)),
                            torch ? "; PyTorch " + turn(w, pyRuns.get(r)) : "",
                            torch ? "; PyTorch channels-last " + turn(w, pyClRuns.get(r)) : "");
                }
            }
        }
        System.out.println("ref/plain, T r/p: step time refocused / plain (1.0 = free), Java and PyTorch (NCHW), the "
                + "median of per-round ratios of back-to-back steps; J/T: Java step time / PyTorch's in NCHW, the median of "
                + "per-turn ratios of back-to-back children; J/Tcl: / PyTorch's with channels-last batches");
        // The refocusing cost that does not scale with the batch: Wt of every RefConv layer, once per step.
        Allocator last = allocators.get(allocators.size() - 1);
        for (Map.Entry<Workload, Double> e : plainStep.entrySet()) {
            Workload w = e.getKey();
            double[] t = values(
                    runJava(w, rounds, threads, last, false, "transform"),
                    w,
                    last,
                    "transform_forward",
                    "transform_total",
                    "layers",
                    "fused_layers",
                    "transform_libtorch_total");
            System.out.printf(
                    Locale.ROOT,
                    "refocusing transform alone, %s (%d layers, %d fused, %d threads): forward "
                            + "%.1f ms, forward + backward to Wr %.1f ms per step = %.1f %% of the plain step; libtorch's "
                            + "transform for every layer %.1f ms%n",
                    w.label(),
                    (int) t[2],
                    (int) t[3],
                    threads,
                    t[0] * 1e3,
                    t[1] * 1e3,
                    100 * t[1] / e.getValue(),
                    t[4] * 1e3);
        }
        if (!"false".equals(System.getProperty("bench.breakdown"))) {
            for (Workload w : WORKLOADS) {
                if (only.isEmpty() || List.of(only.split(",")).contains(w.model())) {
                    printBreakdown(w, threads, last, torch);
                }
            }
        }
    }

    /**
     * bf16 autocast vs fp32, Java and PyTorch, same workloads, threads and allocator: in each child the two precisions
     * alternate round by round on the same shapes (bf16/fp32 is the median of per-round ratios), and the Java and
     * PyTorch children take turns (Java/PyTorch in bf16 is the median of per-turn ratios). PyTorch 1.13 cannot train
     * MobileNetV2 in bf16 on the CPU (hardtanh's backward has no bf16 kernel there): its columns show "-". Then the
     * bf16 step broken down by oneDNN primitive ({@code -Dbench.breakdown=false} skips it). Run with
     * {@code mvn -Pbench -pl refconv-layers test -Dtest=ZooBench#printBf16Throughput}; the same properties apply.
     */
    @Test
    void printBf16Throughput() throws Exception {
        // Without AVX512_BF16 or AMX, bf16 is emulated (several times slower than fp32, measured in
        // docs/benchmarks.md):
        // hours of bench for a known answer, so it runs there only when asked for.
        Precision.Resolved auto = Precision.AUTO.resolve(org.refconv.engine.Device.CPU);
        assumeTrue(
                auto.effective() == Precision.BF16 || Boolean.getBoolean("bench.bf16.force"),
                auto.describe() + ": bf16 bench skipped (-Dbench.bf16.force=true runs it)");
        int threads = Integer.getInteger("bench.threads", 2);
        int rounds = Integer.getInteger("bench.rounds", 8);
        int repeats = Integer.getInteger("bench.repeats", 3);
        String only = System.getProperty("bench.workloads", "");
        boolean torch = torchAvailable();
        Allocator allocator = allocators().get(allocators().size() - 1);
        System.out.printf(
                Locale.ROOT,
                "Mixed-precision benchmark: %s; %d threads; per child %d alternated fp32/bf16 rounds after 1 warm-up, "
                        + "median; %d turns, median; Java batches %s, PyTorch NCHW; allocator %s; PyTorch %s%n",
                auto.describe(),
                threads,
                rounds,
                repeats,
                StepBench.FORMAT.configName(),
                allocator.name(),
                torch ? "eager (/usr/bin/python3), torch.autocast('cpu', dtype=torch.bfloat16)" : "not available");
        String[] names = {
            "median_fp32_plain",
            "median_bf16_plain",
            "paired_plain",
            "median_fp32_refconv",
            "median_bf16_refconv",
            "paired_refconv"
        };
        System.out.printf(
                Locale.ROOT,
                "%-26s %9s %9s %8s %9s %9s %8s | %9s %9s %8s %9s %8s | %8s %8s%n",
                "workload (ms per step)",
                "J32 pl",
                "J16 pl",
                "J16/J32",
                "J32 ref",
                "J16 ref",
                "J16/J32",
                "T32 pl",
                "T16 pl",
                "T16/T32",
                "T16 ref",
                "T16/T32",
                "J16/T16",
                "J16/T16");
        List<Workload> timed = new ArrayList<>();
        for (Workload w : WORKLOADS) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(w.model())) {
                continue;
            }
            timed.add(w);
            List<double[]> javaRuns = new ArrayList<>();
            List<double[]> pyRuns = new ArrayList<>();
            String pyMissing = null;
            for (int r = 0; r < repeats; r++) {
                javaRuns.add(values(runJava(w, rounds, threads, allocator, false, "amp"), w, allocator, names));
                if (torch && pyMissing == null) {
                    List<String> out = runTorchIn(w, rounds, threads, allocator, false, false, "amp");
                    pyMissing = out.stream()
                            .filter(l -> l.startsWith("bf16_unsupported"))
                            .findFirst()
                            .orElse(null);
                    if (pyMissing == null) {
                        pyRuns.add(values(out, w, allocator, names));
                    }
                }
            }
            double[] j = medianOf(javaRuns);
            double[] t = pyRuns.isEmpty() ? null : medianOf(pyRuns);
            System.out.printf(
                    Locale.ROOT,
                    "%-26s %9.1f %9.1f %8.3f %9.1f %9.1f %8.3f | %9s %9s %8s %9s %8s | %8s %8s%n",
                    w.label(),
                    j[0] * 1e3,
                    j[1] * 1e3,
                    j[2],
                    j[3] * 1e3,
                    j[4] * 1e3,
                    j[5],
                    t == null ? "-" : fmt(t[0] * 1e3),
                    t == null ? "-" : fmt(t[1] * 1e3),
                    t == null ? "-" : String.format(Locale.ROOT, "%.3f", t[2]),
                    t == null ? "-" : fmt(t[4] * 1e3),
                    t == null ? "-" : String.format(Locale.ROOT, "%.3f", t[5]),
                    t == null ? "-" : pairedRatio(javaRuns, pyRuns, 1),
                    t == null ? "-" : pairedRatio(javaRuns, pyRuns, 4));
            for (int r = 0; r < javaRuns.size(); r++) {
                double[] jr = javaRuns.get(r);
                System.out.printf(
                        Locale.ROOT,
                        "  turn %d: Java plain %.1f/%.1f ms, refocused %.1f/%.1f ms (fp32/bf16)%s%n",
                        r,
                        jr[0] * 1e3,
                        jr[1] * 1e3,
                        jr[3] * 1e3,
                        jr[4] * 1e3,
                        r < pyRuns.size()
                                ? String.format(
                                        Locale.ROOT,
                                        "; PyTorch plain %.1f/%.1f ms, refocused %.1f/%.1f ms",
                                        pyRuns.get(r)[0] * 1e3,
                                        pyRuns.get(r)[1] * 1e3,
                                        pyRuns.get(r)[3] * 1e3,
                                        pyRuns.get(r)[4] * 1e3)
                                : "");
            }
            if (pyMissing != null) {
                System.out.println("  PyTorch: " + pyMissing.replace('_', ' '));
            }
        }
        System.out.println(
                "J16/J32, T16/T32: bf16 step time / fp32 step time, median of per-round ratios in one child; "
                        + "J16/T16: Java bf16 / PyTorch bf16, median of per-turn ratios of back-to-back children");
        if (!"false".equals(System.getProperty("bench.breakdown"))) {
            for (Workload w : timed) {
                printBreakdown(w, threads, allocator, torch, Precision.BF16);
            }
        }
    }

    /** Component-wise median of the children's {plain, refocused, paired ratio}. */
    private static double[] medianOf(List<double[]> runs) {
        double[] out = new double[runs.get(0).length];
        for (int k = 0; k < out.length; k++) {
            int at = k;
            out[k] = StepBench.median(runs.stream().mapToDouble(r -> r[at]).toArray());
        }
        return out;
    }

    /** Median over turns of a[turn][i] / b[turn][i] with 3 decimals, or "-" without PyTorch. */
    private static String pairedRatio(List<double[]> a, List<double[]> b, int i) {
        if (b.isEmpty()) {
            return "-";
        }
        double[] ratios = new double[a.size()];
        for (int r = 0; r < ratios.length; r++) {
            ratios[r] = a.get(r)[i] / b.get(r)[i];
        }
        return String.format(Locale.ROOT, "%.3f", StepBench.median(ratios));
    }

    /** One child's figures: plain and refocused images/s and their paired ratio. */
    private static String turn(Workload w, double[] child) {
        return String.format(
                Locale.ROOT,
                "plain %.1f ref %.1f i/s (r/p %.3f)",
                w.batch() / child[0],
                w.batch() / child[1],
                child[2]);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * Child-JVM entry point. {@code model}: times the workload plain and refocused, alternated, and prints the medians
     * and the paired ratio. {@code model plain|refconv}: runs bench.rounds steps of that variant alone and prints the
     * last step's seconds (the breakdown's run, under ONEDNN_VERBOSE). {@code model transform}: times the refocusing
     * transform alone.
     */
    public static void main(String[] args) {
        Engine.setThreads(Integer.getInteger("bench.threads", 2));
        Workload w = WORKLOADS.stream()
                .filter(x -> x.model().equals(args[0]))
                .findFirst()
                .orElseThrow();
        int rounds = Integer.getInteger("bench.rounds", 8);
        if (args.length == 2 && args[1].equals("transform")) {
            printTransformCost(w, rounds);
            return;
        }
        if (args.length == 2 && args[1].equals("amp")) {
            printMixedPrecisionTimes(w, rounds);
            return;
        }
        if (args.length >= 2) {
            Precision precision = args.length == 3 ? Precision.parse(args[2]) : Precision.FP32;
            StepBench.Runner r = runner(w, args[1].equals("refconv"), precision);
            double last = 0;
            for (int i = 0; i < rounds; i++) {
                last = r.stepSeconds();
            }
            System.out.println("step_seconds " + last);
            return;
        }
        double[] m = timeJava(w, rounds);
        System.out.println("median_plain " + m[0]);
        System.out.println("median_refconv " + m[1]);
        System.out.println("paired_ratio " + m[2]);
    }

    /**
     * fp32 and bf16 autocast steps of the same model alternated, plain and then refocused: median seconds of each and
     * the median of per-round bf16/fp32 ratios.
     */
    private static void printMixedPrecisionTimes(Workload w, int rounds) {
        for (boolean refocused : new boolean[] {false, true}) {
            String variant = refocused ? "refconv" : "plain";
            StepBench.Runner fp32 = runner(w, refocused, Precision.FP32);
            StepBench.Runner bf16 = runner(w, refocused, Precision.BF16);
            double[] m = StepBench.alternatedMedians(fp32::stepSeconds, bf16::stepSeconds, rounds);
            System.out.println("median_fp32_" + variant + " " + m[0]);
            System.out.println("median_bf16_" + variant + " " + m[1]);
            System.out.println("paired_" + variant + " " + m[2]);
        }
    }

    /**
     * The refocusing transform alone: Wt of every RefConv layer of the model (rule all), then the gradient to Wr from a
     * fixed gradient of Wt's shape; median seconds after 2 warm-up rounds. Timed as a step computes it (the fused
     * transform where a layer uses it) and, alternated with that, with libtorch's autograd transform for every layer.
     */
    private static void printTransformCost(Workload w, int rounds) {
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        ModelZoo.create(w.model(), refocuser, 3, w.classes(), w.imageSize());
        List<RefConv2d> layers = new ArrayList<>(refocuser.layers().values());
        DeferredGradients deferred = DeferredGradients.of(refocuser);
        List<Tensor> grads = layers.stream()
                .map(l -> Tensors.randn(Tensors.shape(l.basisWeight())))
                .toList();
        double[][] times = new double[3][rounds];
        for (int i = -2; i < rounds; i++) {
            for (boolean fused : new boolean[] {true, false}) {
                layers.forEach(l -> Tensors.dropGrad(l.refocusingWeight()));
                try (StepScope ignored = StepScope.open()) {
                    long t0 = System.nanoTime();
                    List<Tensor> wt = layers.stream()
                            .map(fused ? RefConv2d::forwardWeight : RefConv2d::transformedWeight)
                            .toList();
                    long t1 = System.nanoTime();
                    for (int j = 0; j < wt.size(); j++) {
                        if (wt.get(j).is_leaf()) { // the fused path: backward leaves dWt on the leaf
                            Tensors.setGrad(wt.get(j), grads.get(j));
                        } else {
                            wt.get(j).backward(grads.get(j), new BoolOptional(), false, new TensorArrayRefOptional());
                        }
                    }
                    deferred.apply();
                    long t2 = System.nanoTime();
                    if (i >= 0 && fused) {
                        times[0][i] = (t1 - t0) / 1e9;
                        times[1][i] = (t2 - t0) / 1e9;
                    } else if (i >= 0) {
                        times[2][i] = (t2 - t0) / 1e9;
                    }
                }
            }
        }
        System.out.println("transform_forward " + StepBench.median(times[0]));
        System.out.println("transform_total " + StepBench.median(times[1]));
        System.out.println("transform_libtorch_total " + StepBench.median(times[2]));
        System.out.println("fused_layers " + deferred.size());
        System.out.println("layers " + layers.size());
    }

    /**
     * The allocators to time under, from -Dbench.allocators (default tcmalloc, what deploy/bin/native-env preloads;
     * glibc,tcmalloc for both): each in its own processes, since a process's allocator is fixed when it starts.
     * -Dbench.tcmalloc=path overrides where tcmalloc is looked for; without it, glibc's malloc is timed.
     */
    static List<Allocator> allocators() {
        List<Allocator> list = new ArrayList<>();
        String tcmalloc = System.getProperty("bench.tcmalloc", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");
        boolean haveTcmalloc = Files.isRegularFile(Path.of(tcmalloc));
        for (String name : System.getProperty("bench.allocators", "tcmalloc").split(",")) {
            switch (name.trim()) {
                case "glibc" -> list.add(new Allocator("glibc", ""));
                case "tcmalloc" ->
                    list.add(haveTcmalloc ? new Allocator("tcmalloc", tcmalloc) : new Allocator("glibc", ""));
                default ->
                    throw new IllegalArgumentException(
                            "bench.allocators: unknown allocator '" + name + "' (glibc, tcmalloc)");
            }
        }
        return list.stream().distinct().toList();
    }

    /** Median step seconds {plain, refocused} and the median per-round ratio, alternating which goes first. */
    static double[] timeJava(Workload w, int rounds) {
        StepBench.Runner plain = runner(w, false);
        StepBench.Runner ref = runner(w, true);
        return StepBench.alternatedMedians(plain::stepSeconds, ref::stepSeconds, rounds);
    }

    private static StepBench.Runner runner(Workload w, boolean refocused) {
        return runner(w, refocused, Precision.FP32);
    }

    private static StepBench.Runner runner(Workload w, boolean refocused, Precision precision) {
        return new StepBench.Runner(
                f -> ModelZoo.create(w.model(), f, 3, w.classes(), w.imageSize()),
                refocused,
                precision,
                w.batch(),
                3,
                w.imageSize(),
                w.imageSize());
    }

    static boolean torchAvailable() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch, torchvision")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Median step seconds {plain, refocused} in PyTorch eager for the same workload, under the same allocator, with
     * NCHW or channels-last batches.
     */
    static double[] timeTorch(Workload w, int rounds, int threads, Allocator allocator, boolean channelsLast)
            throws IOException, InterruptedException {
        return medians(runTorch(w, rounds, threads, allocator, channelsLast, false), w, allocator);
    }

    /** Runs the PyTorch script for a workload ({@code variant}: plain | refconv alone, or both when absent). */
    private static List<String> runTorch(
            Workload w,
            int rounds,
            int threads,
            Allocator allocator,
            boolean channelsLast,
            boolean onednnVerbose,
            String... variant)
            throws IOException, InterruptedException {
        return runTorchIn(w, rounds, threads, allocator, channelsLast, onednnVerbose, "fp32", variant);
    }

    /**
     * {@code precision}: fp32 or bf16 (torch.autocast on the CPU around the forward), or amp: both alternated per
     * variant, as the Java child's amp mode.
     */
    private static List<String> runTorchIn(
            Workload w,
            int rounds,
            int threads,
            Allocator allocator,
            boolean channelsLast,
            boolean onednnVerbose,
            String precision,
            String... variant)
            throws IOException, InterruptedException {
        Path script = Files.createTempFile("zoo_bench", ".py");
        try {
            Files.writeString(script, TORCH_SCRIPT, StandardCharsets.UTF_8);
            List<String> cmd = new ArrayList<>(List.of(
                    "/usr/bin/python3",
                    script.toString(),
                    w.model(),
                    Integer.toString(w.imageSize()),
                    Integer.toString(w.batch()),
                    Integer.toString(w.classes()),
                    Integer.toString(rounds),
                    Integer.toString(threads),
                    channelsLast ? "1" : "0",
                    precision));
            cmd.addAll(List.of(variant));
            return runChild(cmd, allocator, threads, onednnVerbose, w);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static List<String> runJava(
            Workload w, int rounds, int threads, Allocator allocator, boolean onednnVerbose, String... variant)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(
                "-Dbench.threads=" + threads,
                "-Dbench.rounds=" + rounds,
                "-Drefconv.trimEvery=" + Integer.getInteger("refconv.trimEvery", 64),
                "-Drefconv.fusedTransform=" + System.getProperty("refconv.fusedTransform", "true"),
                "-Dbench.memoryFormat=" + StepBench.FORMAT.configName(),
                w.model()));
        args.addAll(List.of(variant));
        return runChild(
                StepBench.childJava(ZooBench.class, args.toArray(String[]::new)), allocator, threads, onednnVerbose, w);
    }

    /**
     * Runs a child (Java or PyTorch) with the allocator's LD_PRELOAD, passive OpenMP threads and, if asked, oneDNN's
     * verbose log; returns its output lines, or fails with them.
     */
    static List<String> runChild(List<String> cmd, Allocator allocator, int threads, boolean onednnVerbose, Workload w)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("OPENBLAS_THREAD_TIMEOUT", "4"); // as deploy/bin/native-env: see engine.BlasThreads
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("LD_PRELOAD", allocator.preload());
        if (onednnVerbose) {
            pb.environment().put("ONEDNN_VERBOSE", "1");
        }
        Process p = pb.start();
        List<String> output = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.add(line);
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException(
                    "child failed for " + w + " (" + allocator.name() + "):\n" + String.join("\n", output));
        }
        return output;
    }

    /** The child's "name value" lines whose name is one of {@code names}, in that order; fails if one is missing. */
    private static double[] values(List<String> output, Workload w, Allocator allocator, String... names) {
        Map<String, Double> found = new LinkedHashMap<>();
        for (String line : output) {
            String[] parts = line.split(" ");
            if (parts.length == 2 && List.of(names).contains(parts[0])) {
                found.put(parts[0], Double.parseDouble(parts[1]));
            }
        }
        if (found.size() != names.length) {
            throw new IllegalStateException("timing failed for " + w + " (" + allocator.name() + "): no "
                    + List.of(names) + " in\n" + String.join("\n", output));
        }
        return List.of(names).stream().mapToDouble(found::get).toArray();
    }

    /** {plain, refocused, paired ratio} from a timing child: median step seconds and median per-round ratio. */
    private static double[] medians(List<String> output, Workload w, Allocator allocator) {
        return values(output, w, allocator, "median_plain", "median_refconv", "paired_ratio");
    }

    /**
     * Where one step's time goes, Java vs PyTorch (NCHW, its default), plain and refocused: oneDNN's execution times
     * per kind of primitive in the last of 3 steps, and the rest of the step outside oneDNN. One child per column.
     */
    static void printBreakdown(Workload w, int threads, Allocator allocator, boolean torch)
            throws IOException, InterruptedException {
        printBreakdown(w, threads, allocator, torch, Precision.FP32);
    }

    /** As above, the steps in {@code precision} (fp32, or bf16 autocast on both sides). */
    static void printBreakdown(Workload w, int threads, Allocator allocator, boolean torch, Precision precision)
            throws IOException, InterruptedException {
        int steps = 3;
        String p = precision.configName();
        List<String> headers = new ArrayList<>();
        List<Map<String, Double>> columns = new ArrayList<>();
        for (String variant : List.of("plain", "refconv")) {
            headers.add("Java " + variant);
            columns.add(profile(runJava(w, steps, threads, allocator, true, variant, p), steps, w, allocator));
            // -Dbench.breakdown.torch=false: Java's columns only (PyTorch 1.13's emulated bf16 takes many minutes).
            if (torch && !"false".equals(System.getProperty("bench.breakdown.torch"))) {
                List<String> out = runTorchIn(w, steps, threads, allocator, false, true, p, variant);
                if (out.stream().anyMatch(l -> l.startsWith("step_seconds"))) {
                    headers.add("PyT " + variant);
                    columns.add(profile(out, steps, w, allocator));
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nWhere the time goes: %s, %s, %s, last of %d steps, ms (ONEDNN_VERBOSE; Java "
                        + "with %s batches, PyTorch NCHW)%n",
                w.label(),
                p,
                allocator.name(),
                steps,
                StepBench.FORMAT.configName());
        System.out.printf(Locale.ROOT, "  %-52s", "");
        headers.forEach(h -> System.out.printf(Locale.ROOT, " %13s", h));
        System.out.println();
        for (String row : columns.get(0).keySet()) {
            System.out.printf(Locale.ROOT, "  %-52s", row);
            columns.forEach(c -> System.out.printf(Locale.ROOT, " %13.1f", c.get(row)));
            System.out.println();
        }
    }

    private static final String OUTSIDE = "outside oneDNN (BN, pooling, activations, SGD, autograd)";
    private static final String STEP = "step (wall clock)";

    /** oneDNN's categories, then the rest of the step and the step itself, in ms. */
    private static Map<String, Double> profile(List<String> output, int steps, Workload w, Allocator allocator) {
        Map<String, Double> ms = new LinkedHashMap<>();
        if (output.stream().anyMatch(l -> l.startsWith("onednn_verbose") && l.contains(",exec,"))) {
            ms.putAll(OneDnnProfile.lastStep(output, steps));
        } else { // nothing ran in oneDNN (bf16 on a CPU without AVX-512: libtorch's own kernels)
            OneDnnProfile.CATEGORIES.forEach(c -> ms.put(c, 0.0));
        }
        double step = values(output, w, allocator, "step_seconds")[0] * 1e3;
        ms.put(
                OUTSIDE,
                step - ms.values().stream().mapToDouble(Double::doubleValue).sum());
        ms.put(STEP, step);
        return ms;
    }

    /** The same step in PyTorch eager: torchvision models, RefConv as in the paper's Algorithm 1 on every K > 1 conv. */
    private static final String TORCH_SCRIPT = """
            import statistics, sys, time
            import torch, torch.nn as nn, torch.nn.functional as F, torchvision

            model_name, size, batch, classes, rounds, threads, channels_last = sys.argv[1], *map(int, sys.argv[2:8])
            precision = sys.argv[8]  # fp32 | bf16 (autocast around the forward) | amp (both, alternated)
            only = sys.argv[9] if len(sys.argv) > 9 else None  # plain | refconv: that variant alone (breakdown)
            torch.set_num_threads(threads)

            class RefConv(nn.Module):
                def __init__(self, conv):
                    super().__init__()
                    cout, cin_g, k, _ = conv.weight.shape
                    self.register_buffer("weight", conv.weight.detach().clone())
                    self.bias = conv.bias
                    self.stride, self.padding, self.dilation, self.groups = (conv.stride, conv.padding, conv.dilation,
                                                                              conv.groups)
                    self.n2d = cout * cin_g
                    self.convmap = nn.Conv2d(self.n2d, self.n2d, 3, 1, 1, groups=cin_g * cout // conv.groups,
                                             bias=False)
                    nn.init.xavier_uniform_(self.convmap.weight)

                def forward(self, x):
                    k = self.weight.shape[-1]
                    w = self.weight + self.convmap(self.weight.view(1, self.n2d, k, k)).view_as(self.weight)
                    return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)

            def build(refocus):
                if model_name == "resnet18_small":
                    m = torchvision.models.resnet18(num_classes=classes)
                    m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
                    m.maxpool = nn.Identity()
                else:
                    m = getattr(torchvision.models, model_name)(num_classes=classes)
                if refocus:
                    for parent in list(m.modules()):
                        for name, child in list(parent.named_children()):
                            if isinstance(child, nn.Conv2d) and child.kernel_size[0] > 1:
                                setattr(parent, name, RefConv(child))
                m.train()
                opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.01, momentum=0.9,
                                      weight_decay=4e-5)
                return m, opt

            x = torch.randn(batch, 3, size, size)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            y = torch.zeros(batch, dtype=torch.long)
            def step(m, opt, bf16=precision == "bf16"):
                t0 = time.perf_counter()
                opt.zero_grad()
                # The loss from fp32 logits, as the Java trainer computes it.
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    out = m(x)
                loss = F.cross_entropy(out.float(), y)
                loss.backward()
                opt.step()
                loss.item()
                return time.perf_counter() - t0

            if only:
                m, opt = build(only == "refconv")
                try:
                    for i in range(rounds):
                        last = step(m, opt)
                except RuntimeError as e:  # PyTorch 1.13 lacks some bf16 backward kernels on the CPU
                    print("bf16_unsupported", str(e).splitlines()[0].replace(" ", "_"))
                    sys.exit(0)
                print("step_seconds", last)
                sys.exit(0)
            if precision == "amp":
                for name in ["plain", "refconv"]:
                    m, opt = build(name == "refconv")
                    try:
                        step(m, opt, True)
                    except RuntimeError as e:  # PyTorch 1.13 lacks some bf16 backward kernels on the CPU
                        print("bf16_unsupported", str(e).splitlines()[0].replace(" ", "_"))
                        sys.exit(0)
                    step(m, opt, False)
                    t32, t16 = [], []
                    for i in range(rounds):
                        for bf16 in ([False, True] if i % 2 == 0 else [True, False]):
                            (t16 if bf16 else t32).append(step(m, opt, bf16))
                    print("median_fp32_" + name, statistics.median(t32))
                    print("median_bf16_" + name, statistics.median(t16))
                    print("paired_" + name, statistics.median(b / a for a, b in zip(t32, t16)))
                sys.exit(0)
            runners = {"plain": build(False), "refconv": build(True)}
            for m, opt in runners.values():
                step(m, opt)
            times = {"plain": [], "refconv": []}
            for i in range(rounds):
                order = ["plain", "refconv"] if i % 2 == 0 else ["refconv", "plain"]
                for name in order:
                    times[name].append(step(*runners[name]))
            for name, t in times.items():
                print("median_" + name, statistics.median(t))
            print("paired_ratio", statistics.median(r / p for p, r in zip(times["plain"], times["refconv"])))
            """;
}
