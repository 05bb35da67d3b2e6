package org.refconv.train;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.refconv.config.ConfigException;
import org.refconv.dist.GradientSync;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.models.CifarQuick;
import org.refconv.optim.LossScaler;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train job's {@code precision} setting: a setting that may change when a run resumes, and the step it drives. */
class PrecisionSettingTest {

    private static TrainArgs args() {
        return TrainArgs.run("cifar_quick", "/d", "/o").with("mode", "pretrain");
    }

    @Test
    void precisionMayDifferWhenARunResumesAndFp16IsForGpus() {
        String fp32 = args().config().trajectoryHash();
        for (String p : List.of("bf16", "auto")) {
            assertEquals(fp32, args().with("precision", p).config().trajectoryHash(), p);
        }
        assertNotEquals(fp32, args().with("lr", 0.01).config().trajectoryHash());
        ConfigException cpuFp16 = assertThrows(
                ConfigException.class, () -> args().with("precision", "fp16").config());
        assertTrue(cpuFp16.getMessage().startsWith("--precision (precision): fp16 is for GPUs"), cpuFp16.getMessage());
        assertEquals(
                Precision.FP16,
                args().with("precision", "fp16").with("device", "gpu").config().precision());
    }

    @Test
    void eachRankStatesTheResolvedPrecision() {
        Placement p = Placement.decide(args().with("precision", "auto").config(), false, Device.CPU);
        assertTrue(p.describe(args().config()).startsWith("precision "), p.describe(args().config()));
        assertTrue(p.precision().effective() == Precision.FP32 || p.precision().effective() == Precision.BF16);
    }

    /** One SGD step of cifar_quick in bf16 against fp32 from the same start: close, and every tensor stays fp32. */
    @Test
    void aBf16StepKeepsFp32StateAndFollowsTheFp32Step() {
        float[] images = new float[4 * 3 * 32 * 32];
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        long[] labels = {1, 7, 3, 0};
        Map<String, float[]> fp32 = step(Precision.FP32, images, labels);
        Map<String, float[]> bf16 = step(Precision.BF16, images, labels);
        double total = 0;
        for (Map.Entry<String, float[]> e : fp32.entrySet()) {
            float[] a = e.getValue();
            float[] b = bf16.get(e.getKey());
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < a.length; i++) {
                diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
                norm += a[i] * (double) a[i];
            }
            // bf16 keeps 8 bits of mantissa; after one step at lr 0.05 the parameters differ far less than that.
            assertTrue(Math.sqrt(diff) <= 1e-2 * Math.sqrt(norm) + 1e-6, e.getKey() + ": " + Math.sqrt(diff));
            total += diff;
        }
        assertTrue(total > 0, "the bf16 step must have run in bf16: it equals the fp32 step bit for bit");
    }

    private static Map<String, float[]> step(Precision precision, float[] images, long[] labels) {
        Engine.manualSeed(5);
        CifarQuick model = new CifarQuick(ConvFactory.plain(), 3, 10, 32);
        Map<String, Tensor> params = Modules.trainableParameters(model);
        Sgd sgd = new Sgd(params, 0.05, 0.9, 4e-5);
        // One process: backward alone is the gradient "average".
        GradientSync local = new GradientSync() {
            @Override
            public void backward(Tensor loss) {
                loss.backward();
            }

            @Override
            public void close() {}
        };
        try (GradientSync sync = local) {
            StepPrecision p = new StepPrecision(precision, Device.CPU, LossScaler.disabled(), null);
            TrainStep step = new TrainStep(model, sgd, sync, DeferredGradients.of(null), ComputeTurns.NONE, p);
            step.run(Tensors.fromFloats(images, 4, 3, 32, 32), Tensors.fromLongs(labels, 4), 0.05);
        }
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        Modules.stateDict(model).forEach((k, v) -> {
            if (v.is_floating_point()) {
                assertEquals(torch.ScalarType.Float, v.scalar_type().intern(), k + " stays fp32");
                out.put(k, Tensors.toFloats(v));
            }
        });
        sgd.state()
                .forEach((k, v) ->
                        assertEquals(torch.ScalarType.Float, v.scalar_type().intern(), k + " momentum"));
        return out;
    }
}
