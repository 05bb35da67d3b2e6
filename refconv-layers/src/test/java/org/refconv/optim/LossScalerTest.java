package org.refconv.optim;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fp16 loss scaler's logic on CPU tensors (GradScaler's rules); its all-reduced flag with two Gloo ranks. */
class LossScalerTest {

    /** A parameter whose gradient after backward of scale * sum(w * x) is scale * x. */
    private static Tensor parameterWithGradient(LossScaler scaler, float... x) {
        Tensor w = Tensors.requiresGrad(Tensors.ones(x.length), true);
        Tensor loss = w.mul(Tensors.fromFloats(x, x.length)).sum();
        scaler.scale(loss).backward();
        return w;
    }

    @Test
    void scaledGradientsAreUnscaledToTheTrueOnes() {
        LossScaler scaler = LossScaler.forPrecision(Precision.FP16);
        assertEquals(65536.0, scaler.scale());
        Tensor loss = Tensors.fromFloats(new float[] {1.5f}, 1);
        assertArrayEquals(new float[] {98304f}, Tensors.toFloats(scaler.scale(loss)));
        Tensor w = parameterWithGradient(scaler, 1e-6f, -2f, 3.25f);
        assertArrayEquals(new float[] {65536e-6f, -131072f, 212992f}, Tensors.toFloats(w.grad()), 1e-3f);
        assertFalse(scaler.unscaleAndCheck(List.of(w.grad()), null));
        assertArrayEquals(new float[] {1e-6f, -2f, 3.25f}, Tensors.toFloats(w.grad()), 1e-9f);
        scaler.update(false);
        assertEquals(65536.0, scaler.scale());
        assertEquals(1, scaler.goodSteps());
    }

    @Test
    void anInfOrNanSkipsTheStepAndHalvesTheScale() {
        LossScaler scaler = new LossScaler(1024, 2, 0.5, 1000);
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN}) {
            Tensor ok = parameterWithGradient(scaler, 1f, 2f);
            Tensor injected = Tensors.fromFloats(new float[] {1024f, bad}, 2); // as an overflowing fp16 backward
            double before = scaler.scale();
            scaler.update(false); // one good step first: a skip must reset the growth count
            assertEquals(1, scaler.goodSteps());
            assertTrue(scaler.unscaleAndCheck(List.of(ok.grad(), injected), null), "found " + bad);
            scaler.update(true);
            assertEquals(before / 2, scaler.scale(), "halved after " + bad);
            assertEquals(0, scaler.goodSteps());
        }
        assertEquals(3, scaler.skippedSteps());
    }

    @Test
    void theScaleDoublesAfterGrowthIntervalFiniteStepsInARow() {
        LossScaler scaler = new LossScaler(8, 2, 0.5, 3);
        scaler.update(false);
        scaler.update(false);
        assertEquals(8, scaler.scale());
        scaler.update(false);
        assertEquals(16, scaler.scale(), "3 good steps");
        scaler.update(false);
        scaler.update(false);
        scaler.update(true); // the streak is broken before it reaches 3
        scaler.update(false);
        scaler.update(false);
        assertEquals(8, scaler.scale());
        scaler.update(false);
        assertEquals(16, scaler.scale());
        LossScaler defaults = LossScaler.forPrecision(Precision.FP16);
        for (int i = 0; i < 1999; i++) {
            defaults.update(false);
        }
        assertEquals(65536.0, defaults.scale());
        defaults.update(false);
        assertEquals(131072.0, defaults.scale(), "GradScaler's growth interval is 2000");
    }

    @Test
    void bf16AndFp32UseADisabledScalerThatChangesNothing() {
        for (Precision p : List.of(Precision.BF16, Precision.FP32)) {
            LossScaler scaler = LossScaler.forPrecision(p);
            assertFalse(scaler.enabled());
            Tensor loss = Tensors.fromFloats(new float[] {2f}, 1);
            assertSame(loss, scaler.scale(loss));
            Tensor g = Tensors.fromFloats(new float[] {Float.POSITIVE_INFINITY, 3f}, 2);
            assertFalse(scaler.unscaleAndCheck(List.of(g), null));
            assertEquals(3f, Tensors.toFloats(g)[1]);
            scaler.update(true);
            assertEquals(1.0, scaler.scale());
        }
        assertThrows(IllegalArgumentException.class, () -> LossScaler.forPrecision(Precision.AUTO));
        assertThrows(IllegalArgumentException.class, () -> new LossScaler(1, 2, 1.5, 10));
    }

    @Test
    void restoresAScaleFromACheckpoint() {
        LossScaler scaler = LossScaler.forPrecision(Precision.FP16);
        scaler.restore(512, 7);
        assertEquals(512, scaler.scale());
        assertEquals(7, scaler.goodSteps());
        assertThrows(IllegalArgumentException.class, () -> scaler.restore(0, 0));
        assertThrows(IllegalArgumentException.class, () -> scaler.restore(8, 2000));
    }

    @Test
    void anInfOnOneRankSkipsTheStepOnEveryRank() throws Exception {
        for (int badRank : new int[] {-1, 0, 1}) {
            List<double[]> out = LocalRanks.run(2, c -> {
                LossScaler scaler = new LossScaler(256, 2, 0.5, 100);
                Tensor g = Tensors.fromFloats(new float[] {256f * (c.rank() + 1), 512f}, 2);
                if (c.rank() == badRank) {
                    g = Tensors.fromFloats(new float[] {Float.NaN, 512f}, 2);
                }
                boolean found = scaler.unscaleAndCheck(List.of(g), c);
                scaler.update(found);
                return new double[] {found ? 1 : 0, scaler.scale(), Tensors.toFloats(g)[1]};
            });
            for (double[] rank : out) {
                assertEquals(badRank >= 0 ? 1 : 0, rank[0], "bad rank " + badRank);
                assertEquals(badRank >= 0 ? 128 : 256, rank[1], "every rank has the same scale");
                assertEquals(2.0, rank[2], "unscaled locally, not summed");
            }
        }
    }

    @Test
    void theMetadataRoundTripsExactlyAndAHalfStateIsRefused() {
        LossScaler scaler = new LossScaler(3.0517578125e-5, 2, 0.5, 10);
        scaler.update(false);
        LossScaler fresh = new LossScaler(1, 2, 0.5, 10);
        fresh.restoreFrom(scaler.checkpointMetadata());
        assertEquals(3.0517578125e-5, fresh.scale());
        assertEquals(1, fresh.goodSteps());
        assertEquals(java.util.Map.of(), LossScaler.disabled().checkpointMetadata());
        LossScaler untouched = new LossScaler(8, 2, 0.5, 10);
        untouched.restoreFrom(java.util.Map.of("epoch", "3"));
        assertEquals(8, untouched.scale(), "a checkpoint without a scale leaves it");
        for (var bad : List.of(
                java.util.Map.of(LossScaler.SCALE_KEY, "8.0"),
                java.util.Map.of(LossScaler.SCALE_KEY, "x", LossScaler.GOOD_STEPS_KEY, "1"),
                java.util.Map.of(LossScaler.SCALE_KEY, "-2.0", LossScaler.GOOD_STEPS_KEY, "1"))) {
            org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> untouched.restoreFrom(bad), bad.toString());
        }
    }
}
