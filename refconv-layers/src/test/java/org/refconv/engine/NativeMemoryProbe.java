package org.refconv.engine;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

/**
 * A rank's memory for one zoo model at one batch, for sizing {@code spark.executor.memoryOverhead}: resident memory
 * (VmRSS) after libtorch is loaded, then the peak (VmHWM) over a few training steps (forward, cross-entropy, backward,
 * SGD with momentum; the refocused model with the fused transform's deferred gradients, as RankTrainer does), and
 * the heap committed at the end. Native peak = VmHWM - heap committed. One model per JVM (VmHWM never goes down):
 * {@code NativeMemoryProbe MODEL pretrain|refocus BATCH IMAGE_SIZE CLASSES STEPS THREADS}; prints one CSV line.
 */
public final class NativeMemoryProbe {
    private NativeMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        String model = args[0];
        boolean refocus = args[1].equals("refocus");
        int batch = Integer.parseInt(args[2]);
        int image = Integer.parseInt(args[3]);
        int classes = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        Engine.setThreads(Integer.parseInt(args[6]));
        Engine.manualSeed(0);
        try (StepScope s = StepScope.openWithoutTrim()) {
            Ops.relu(Tensors.randn(4, 4)); // libtorch loaded and initialised
        }
        System.gc();
        long base = status("VmRSS");
        Refocuser refocuser = refocus ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT) : null;
        Classifier m = ModelZoo.create(model, refocus ? refocuser : ConvFactory.plain(), 3, classes, image);
        DeferredGradients deferred = refocus ? DeferredGradients.of(refocuser) : DeferredGradients.NONE;
        m.train(true);
        Map<String, Tensor> trainable = Modules.trainableParameters(m);
        Sgd sgd = new Sgd(trainable, 0.01, 0.9, 4e-5);
        long start = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            try (StepScope s = StepScope.open()) {
                Tensor x = MemoryFormat.CHANNELS_LAST.apply(Tensors.randn(batch, 3, image, image));
                long[] labels = new long[batch];
                for (int i = 0; i < batch; i++) {
                    labels[i] = (i * 7L) % classes;
                }
                sgd.zeroGrad();
                Ops.crossEntropy(m.forward(x), Tensors.fromLongs(labels, batch)).backward();
                deferred.apply();
                sgd.step();
            }
        }
        double secondsPerStep = (System.nanoTime() - start) / 1e9 / steps;
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
        long peak = status("VmHWM");
        System.out.printf(
                "%s,%s,%d,%d,%d,%d,%d,%d,%.1f%n",
                model,
                refocus ? "refocus" : "pretrain",
                batch,
                image,
                base / 1024,
                peak / 1024,
                heap / 1024,
                (peak - heap) / 1024,
                secondsPerStep);
    }

    /** A /proc/self/status field in kB. */
    private static long status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException(field + " not in /proc/self/status");
    }
}
