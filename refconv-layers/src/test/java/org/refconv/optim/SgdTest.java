package org.refconv.optim;

import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Ops;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** torch.optim.SGD's update rule, checked by hand and against the rule written with temporaries; the schedule. */
class SgdTest {

    @Test
    void momentumAndWeightDecayFollowTorchSgd() {
        Tensor p = Tensors.requiresGrad(Tensors.fromFloats(new float[] {1f, -2f}, 2), true);
        Tensor c = Tensors.fromFloats(new float[] {0.5f, 3f}, 2);
        Sgd sgd = new Sgd(Map.of("p", p), 0.1, 0.9, 0.01);
        double[] pv = {1, -2};
        double[] buf = new double[2];
        for (int step = 0; step < 3; step++) {
            try (StepScope ignored = StepScope.open()) {
                sgd.zeroGrad();
                p.mul(c).sum().backward(); // grad = c
                sgd.step();
            }
            for (int i = 0; i < 2; i++) {
                double d = (i == 0 ? 0.5 : 3.0) + 0.01 * pv[i];
                buf[i] = step == 0 ? d : 0.9 * buf[i] + d;
                pv[i] -= 0.1 * buf[i];
            }
            float[] got = Tensors.toFloats(p);
            assertArrayEquals(new float[] {(float) pv[0], (float) pv[1]}, got, 1e-6f, "step " + step);
        }
        assertEquals(1, sgd.state().size(), "one momentum buffer, kept across step scopes");
        assertArrayEquals(
                new float[] {(float) buf[0], (float) buf[1]},
                Tensors.toFloats(sgd.state().get("p")),
                1e-6f);
    }

    /** The in-place momentum update against torch's rule written out with temporaries, on many random values. */
    @Test
    void inPlaceUpdateMatchesTorchRuleOnRandomTensors() {
        for (double momentum : new double[] {0.9, 0}) {
            Tensor p = Tensors.requiresGrad(Tensors.randn(1000), true);
            Tensor expected = p.detach().clone();
            Tensor expectedBuf = null;
            Sgd sgd = new Sgd(Map.of("p", p), 0.05, momentum, 4e-5);
            for (int step = 0; step < 4; step++) {
                Tensor c = Tensors.randn(1000);
                try (StepScope scope = StepScope.open()) {
                    sgd.zeroGrad();
                    p.mul(c).sum().backward(); // grad = c
                    sgd.step();
                    Tensor d = c.add(expected.mul(new Scalar(4e-5)));
                    if (momentum != 0) {
                        expectedBuf = scope.keep(
                                expectedBuf == null
                                        ? d
                                        : expectedBuf.mul(new Scalar(momentum)).add(d));
                        d = expectedBuf;
                    }
                    expected = scope.keep(expected.sub(d.mul(new Scalar(0.05))));
                }
                assertTrue(Ops.maxAbsDiff(p, expected) < 1e-6, "momentum " + momentum + " step " + step);
            }
        }
    }

    @Test
    void zeroGradDropsTheGradientAndBackwardStoresAFreshOne() {
        Tensor p = Tensors.requiresGrad(Tensors.fromFloats(new float[] {1f, 2f}, 2), true);
        Sgd sgd = new Sgd(Map.of("p", p), 0.1, 0.9, 0);
        try (StepScope ignored = StepScope.open()) {
            p.sum().backward();
            sgd.zeroGrad();
            assertFalse(p.grad().defined(), "gradient dropped");
            p.mul(Tensors.fromFloats(new float[] {3f, 4f}, 2)).sum().backward();
            assertArrayEquals(
                    new float[] {3f, 4f}, Tensors.toFloats(p.grad()), "not accumulated onto the old gradient");
        }
    }

    @Test
    void warmupThenCosineToZero() {
        WarmupCosine s = new WarmupCosine(0.1, 5, 105);
        assertEquals(0.02, s.lr(0), 1e-12);
        assertEquals(0.1, s.lr(4), 1e-12);
        assertEquals(0.1, s.lr(5), 1e-12);
        assertEquals(0.05, s.lr(55), 1e-12);
        assertEquals(0.0, s.lr(105), 1e-12);
    }
}
