package org.refconv.dist;

import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DDP's Reducer on two Gloo ranks in one JVM: gradients averaged during backward, step after step. */
class ReducerGradientSyncTest {

    private static final int STEPS = 4;

    @Test
    void gradientsAreAveragedDuringBackwardInEveryStep() throws Exception {
        List<float[][]> out = CollectivesTest.twoRanks(c -> {
            // Tiny buckets (16 bytes): several of them, so several all-reduces are in flight within one backward.
            Tensor p1 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {1, 2, 3, 4}, 2, 2), true);
            Tensor p2 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {5}, 1), true);
            Tensor p3 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {6, 7}, 2), true);
            float[][] grads = new float[STEPS][];
            try (GradientSync sync = GradientSync.create(GradientSync.Mode.OVERLAPPED, c, List.of(p1, p2, p3), 16)) {
                for (int s = 0; s < STEPS; s++) {
                    // Rank r's gradient is k * p with k = (r + 1) * (s + 1): the mean is 1.5 * (s + 1) * p.
                    float k = (c.rank() + 1) * (s + 1);
                    Tensor loss = p1.mul(p1)
                            .sum()
                            .add(p2.mul(p2).sum())
                            .add(p3.mul(p3).sum())
                            .mul(new Scalar(k / 2));
                    sync.backward(loss);
                    grads[s] = concat(p1.grad(), p2.grad(), p3.grad());
                    try (NoGrad ignored = NoGrad.enter()) {
                        for (Tensor p : List.of(p1, p2, p3)) {
                            p.grad().zero_();
                        }
                    }
                }
            }
            return grads;
        });
        float[] p = {1, 2, 3, 4, 5, 6, 7};
        for (int s = 0; s < STEPS; s++) {
            float[] want = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                want[i] = 1.5f * (s + 1) * p[i];
            }
            assertArrayEquals(want, out.get(0)[s], 1e-5f, "rank 0, step " + s);
            assertArrayEquals(out.get(0)[s], out.get(1)[s], "ranks must agree bit for bit, step " + s);
        }
    }

    @Test
    void fp16CompressionAveragesWithinHalfPrecisionAndKeepsRanksIdentical() throws Exception {
        // 1 + 2^-12 has no float16 representation (10 mantissa bits): compression must round it, float32 does not.
        float[] p = {1 + 0x1p-12f, 3.3333333f, 1000.1f, -0.0123f};
        List<float[]> out = CollectivesTest.twoRanks(c -> {
            Tensor w = Tensors.requiresGrad(Tensors.fromFloats(p, p.length), true);
            try (GradientSync sync = GradientSync.create(
                    GradientSync.Mode.OVERLAPPED, GradientSync.Compression.FP16, c, List.of(w), 1 << 20)) {
                // Rank r's gradient is (r + 1) * p: the mean is 1.5 * p.
                sync.backward(w.mul(w).sum().mul(new Scalar((c.rank() + 1) / 2.0)));
                return Tensors.toFloats(w.grad());
            }
        });
        for (int i = 0; i < p.length; i++) {
            float want = 1.5f * p[i];
            assertEquals(want, out.get(0)[i], Math.abs(want) * 2e-3, "element " + i);
        }
        assertNotEquals(1.5f * p[0], out.get(0)[0], "the all-reduce ran in float16");
        assertArrayEquals(out.get(0), out.get(1), "ranks must agree bit for bit");
        IllegalArgumentException blocking = assertThrows(
                IllegalArgumentException.class,
                () -> GradientSync.create(
                        GradientSync.Mode.BLOCKING, GradientSync.Compression.FP16, null, List.of(), 1));
        assertTrue(blocking.getMessage().contains("overlapped"), blocking.getMessage());
    }

    @Test
    void ranksTakingTurnsAtComputeCannotOverlapTheAllReduce() {
        // Its all-reduces run inside backward: a rank holding the turn there would wait for one waiting for the turn.
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> GradientSync.create(
                        GradientSync.Mode.OVERLAPPED,
                        GradientSync.Compression.NONE,
                        null,
                        List.of(),
                        1,
                        ComputeTurns.EXCLUSIVE));
        assertTrue(e.getMessage().contains("blocking"), e.getMessage());
    }

    @Test
    void reducersAndTheirGroupsCanBeOpenedAndClosedRepeatedly() throws Exception {
        // The Reducer holds the process group, which holds the Gloo backend, which owns the store: closing them in
        // any order, or leaving the last ones to the GC, must neither double-free nor leave hooks behind.
        for (int round = 0; round < 4; round++) {
            boolean closeExplicitly = round % 2 == 0;
            List<float[]> out = CollectivesTest.twoRanks(c -> {
                Tensor p = Tensors.requiresGrad(Tensors.fromFloats(new float[] {1, 2}, 2), true);
                GradientSync sync = GradientSync.create(GradientSync.Mode.OVERLAPPED, c, List.of(p), 1 << 20);
                sync.backward(p.sum().mul(new Scalar(c.rank() + 1)));
                if (closeExplicitly) {
                    sync.close();
                }
                return Tensors.toFloats(p.grad());
            });
            assertArrayEquals(new float[] {1.5f, 1.5f}, out.get(1));
            System.gc();
            Thread.sleep(100);
        }
    }

    private static float[] concat(Tensor... tensors) {
        float[][] parts = Arrays.stream(tensors).map(Tensors::toFloats).toArray(float[][]::new);
        float[] out =
                new float[Arrays.stream(parts).mapToInt(part -> part.length).sum()];
        int at = 0;
        for (float[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
