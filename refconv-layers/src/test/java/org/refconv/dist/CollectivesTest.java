package org.refconv.dist;

import java.util.List;
import java.util.function.Function;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Device;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Two Gloo ranks in one JVM (LocalRanks: one thread each) on 127.0.0.1: the collectives and the gradient averaging. */
class CollectivesTest {

    static <T> List<T> twoRanks(Function<Collectives, T> body) throws Exception {
        return LocalRanks.run(2, body);
    }

    @Test
    void allReduceSumsAndBroadcastCopies() throws Exception {
        List<float[][]> out = twoRanks(c -> {
            float r = c.rank();
            Tensor a = Tensors.fromFloats(new float[] {r + 1, 10 * (r + 1)}, 2);
            c.allReduceSum(List.of(a));
            Tensor b = Tensors.fromFloats(new float[] {100 + r, 200 + r, 300 + r}, 3);
            Tensor d = Tensors.fromFloats(new float[] {r}, 1); // a second tensor of another shape in the same call
            c.broadcast(List.of(b, d), 1);
            return new float[][] {Tensors.toFloats(a), Tensors.toFloats(b), Tensors.toFloats(d)};
        });
        for (float[][] rank : out) {
            assertArrayEquals(new float[] {3, 30}, rank[0]);
            assertArrayEquals(new float[] {101, 201, 301}, rank[1]);
            assertArrayEquals(new float[] {1}, rank[2]);
        }
    }

    @Test
    void gradientsAreAveragedAcrossBuckets() throws Exception {
        List<float[]> out = twoRanks(c -> {
            // Three parameters with tiny buckets (one parameter each, then two together), grads = (rank+1) * p.
            Tensor p1 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {1, 2, 3, 4}, 2, 2), true);
            Tensor p2 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {5}, 1), true);
            Tensor p3 = Tensors.requiresGrad(Tensors.fromFloats(new float[] {6, 7}, 2), true);
            float k = c.rank() + 1;
            p1.mul(p1)
                    .sum()
                    .add(p2.mul(p2).sum())
                    .add(p3.mul(p3).sum())
                    .mul(new org.bytedeco.pytorch.Scalar(k / 2))
                    .backward();
            BlockingGradientSync avg = new BlockingGradientSync(c, List.of(p1, p2, p3), 16);
            assertEquals(2, avg.bucketCount());
            avg.average();
            float[] g = new float[7];
            System.arraycopy(Tensors.toFloats(p1.grad()), 0, g, 0, 4);
            g[4] = Tensors.toFloats(p2.grad())[0];
            System.arraycopy(Tensors.toFloats(p3.grad()), 0, g, 5, 2);
            return g;
        });
        // Rank r's gradient is (r+1) * p; the mean over ranks 0 and 1 is 1.5 * p.
        float[] want = {1.5f, 3f, 4.5f, 6f, 7.5f, 9f, 10.5f};
        assertArrayEquals(want, out.get(0), 1e-6f);
        assertArrayEquals(want, out.get(1), 1e-6f);
    }

    @Test
    void groupsCanBeOpenedAndClosedRepeatedly() throws Exception {
        // Regression: freeing the TCPStore after its group double-freed it and corrupted the heap a few groups
        // later (surefire runs with MALLOC_CHECK_=3, so glibc aborts on it).
        for (int round = 0; round < 5; round++) {
            List<float[]> out = twoRanks(c -> {
                Tensor t = Tensors.fromFloats(new float[] {c.rank()}, 1);
                c.allReduceSum(List.of(t));
                return Tensors.toFloats(t);
            });
            assertArrayEquals(new float[] {1}, out.get(1));
            System.gc();
            Thread.sleep(100);
        }
    }

    @Test
    void backendFollowsTheDeviceAndNcclIsRefusedOnTheCpuBuild() {
        assertEquals(CollectiveBackend.GLOO, CollectiveBackend.forDevice(Device.CPU));
        assertEquals(CollectiveBackend.NCCL, CollectiveBackend.forDevice(Device.cuda(1)));
        assertThrows(IllegalStateException.class, () -> NcclGroups.create(null, 0, 1));
    }
}
