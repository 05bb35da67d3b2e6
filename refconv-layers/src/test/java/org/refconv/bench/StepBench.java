package org.refconv.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Autocast;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.MemoryFormat;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.engine.Precision;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.CifarQuick;
import org.refconv.models.Classifier;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

/**
 * Training-step cost of RefConv vs the plain conv it replaces: forward + backward + SGD step, the two variants
 * alternated in one process so that machine noise hits both alike; peak resident memory from one child JVM per
 * variant. Prints ratios (refocused / plain). Run with {@code mvn -Pbench -pl refconv-layers -am test}.
 */
public final class StepBench {

    /** The workloads: a small CNN, and ResNet-18's four 3x3 conv shapes (64@56, 128@28, 256@14, 512@7). */
    enum Workload {
        CIFAR_QUICK(32, new long[] {32, 3, 32, 32}),
        RESNET18_CONVS(32, new long[] {32, 64, 56, 56});

        final int batch;
        final long[] input;

        Workload(int batch, long[] input) {
            this.batch = batch;
            this.input = input;
        }

        Classifier build(ConvFactory convs) {
            return this == CIFAR_QUICK ? new CifarQuick(convs, 3, 10, 32) : new ResNet18Convs(convs);
        }
    }

    /** One 3x3 conv per ResNet-18 stage at its real map size; strided convs move between stages. */
    static final class ResNet18Convs extends Classifier {
        private final List<ConvLayer> convs = new ArrayList<>();

        ResNet18Convs(ConvFactory factory) {
            int[] ch = {64, 128, 256, 512};
            for (int i = 0; i < ch.length; i++) {
                int in = i == 0 ? 64 : ch[i - 1];
                ConvLayer c =
                        factory.create(Conv2dSpec.of("layer" + (i + 1), in, ch[i], 3, i == 0 ? 1 : 2, 1, 1, false));
                register_module("layer" + (i + 1), c.module());
                convs.add(c);
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            for (ConvLayer c : convs) {
                x = Ops.relu(c.forward(x));
            }
            return Ops.flatten(Ops.adaptiveAvgPool2d(x, 1, 1), 1);
        }
    }

    /** Layout of the timed batches: the train job's default unless -Dbench.memoryFormat=contiguous. */
    static final MemoryFormat FORMAT =
            MemoryFormat.parse(System.getProperty("bench.memoryFormat", MemoryFormat.CHANNELS_LAST.configName()));

    /** A model (plain or refocused, rule all) and its optimizer, ready to time training steps on a fixed batch. */
    static final class Runner {
        final Classifier model;
        final Sgd sgd;
        final Tensor x;
        final Tensor y;
        final DeferredGradients deferred;
        final Precision precision;

        Runner(Workload w, boolean refocused) {
            this(w::build, refocused, w.input);
        }

        Runner(Function<ConvFactory, Classifier> build, boolean refocused, long... input) {
            this(build, refocused, Precision.FP32, input);
        }

        /** {@code precision}: fp32, or bf16 autocast around the forward (the loss from fp32 logits, as the trainer). */
        Runner(Function<ConvFactory, Classifier> build, boolean refocused, Precision precision, long... input) {
            this.precision = precision;
            Refocuser refocuser = refocused ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT) : null;
            model = build.apply(refocused ? refocuser : ConvFactory.plain());
            deferred = DeferredGradients.of(refocuser);
            model.train(true);
            sgd = new Sgd(Modules.trainableParameters(model), 0.01, 0.9, 4e-5);
            x = input.length == 4 ? FORMAT.apply(Tensors.randn(input)) : Tensors.randn(input);
            y = Tensors.zeros(input[0]).to(org.bytedeco.pytorch.global.torch.ScalarType.Long);
        }

        double stepSeconds() {
            long t0 = System.nanoTime();
            try (StepScope ignored = StepScope.open()) {
                sgd.zeroGrad();
                Tensor logits;
                try (Autocast autocast = Autocast.enter(precision, Device.CPU)) {
                    logits = model.forward(x);
                }
                Tensor loss = Ops.crossEntropy(Autocast.toFloat(logits), y);
                loss.backward();
                deferred.apply();
                sgd.step();
                loss.item_double();
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(System.getProperty("bench.threads", "2"));
        int rounds = Integer.parseInt(System.getProperty("bench.rounds", "6"));
        if (args.length == 2 && args[0].equals("--peak-rss")) {
            Engine.setThreads(threads);
            Runner r = new Runner(Workload.valueOf(args[1].split(":")[0]), args[1].endsWith(":refconv"));
            for (int i = 0; i < 3; i++) {
                r.stepSeconds();
            }
            System.out.println("VmHWM_KB=" + peakRssKb());
            return;
        }
        Engine.setThreads(threads);
        System.out.printf(
                "RefConv training-step benchmark: %d threads, %d alternated rounds, median step time, %s "
                        + "batches; time x = median of the per-round refconv/plain ratios%n",
                threads, rounds, FORMAT.configName());
        System.out.printf(
                "%-16s %12s %12s %10s %14s %14s %10s%n",
                "workload", "plain ms", "refconv ms", "time x", "plain MB", "refconv MB", "memory x");
        for (Workload w : Workload.values()) {
            Runner plain = new Runner(w, false);
            Runner ref = new Runner(w, true);
            double[] medians = alternatedMedians(plain::stepSeconds, ref::stepSeconds, rounds);
            double mp = medians[0];
            double mr = medians[1];
            long rssPlain = childPeakRss(w + ":plain", threads);
            long rssRef = childPeakRss(w + ":refconv", threads);
            System.out.printf(
                    "%-16s %12.1f %12.1f %10.3f %14.1f %14.1f %10.3f%n",
                    w, mp * 1e3, mr * 1e3, medians[2], rssPlain / 1024.0, rssRef / 1024.0, (double) rssRef / rssPlain);
        }
    }

    /**
     * Median seconds of {a, b} over {@code rounds}, after one warm-up each, alternating which goes first so that
     * machine noise and cache state hit both alike; third, the median of the per-round ratios b / a. Each ratio
     * compares two steps taken back to back, so the machine's slow drift (other tenants, this box is a shared VM)
     * cancels in it, while a ratio of the two medians carries it: the paired figure is the one to quote.
     */
    static double[] alternatedMedians(DoubleSupplier a, DoubleSupplier b, int rounds) {
        a.getAsDouble();
        b.getAsDouble();
        double[] ta = new double[rounds];
        double[] tb = new double[rounds];
        double[] ratio = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            if (i % 2 == 0) {
                ta[i] = a.getAsDouble();
                tb[i] = b.getAsDouble();
            } else {
                tb[i] = b.getAsDouble();
                ta[i] = a.getAsDouble();
            }
            ratio[i] = tb[i] / ta[i];
        }
        return new double[] {median(ta), median(tb), median(ratio)};
    }

    static long childPeakRss(String variant, int threads) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(childJava(
                        StepBench.class,
                        "-Dbench.threads=" + threads,
                        "-Dbench.memoryFormat=" + FORMAT.configName(),
                        "--peak-rss",
                        variant))
                .redirectErrorStream(true)
                .start();
        long kb = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("VmHWM_KB=")) {
                    kb = Long.parseLong(line.substring("VmHWM_KB=".length()));
                }
            }
        }
        if (p.waitFor() != 0 || kb < 0) {
            throw new IllegalStateException("peak-RSS child for " + variant + " failed");
        }
        return kb;
    }

    /** A command running {@code main} in a new JVM with this one's class path and JavaCPP cache; -D options first. */
    static List<String> childJava(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path")));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) {
            cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        }
        List<String> rest = new ArrayList<>();
        for (String a : args) {
            (a.startsWith("-D") ? cmd : rest).add(a);
        }
        cmd.add(main.getName());
        cmd.addAll(rest);
        return cmd;
    }

    static long peakRssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/self/status");
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
