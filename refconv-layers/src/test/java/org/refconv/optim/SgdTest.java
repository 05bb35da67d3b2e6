package org.refconv.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;

/** torch.optim.SGD's update rule, checked by hand, and the warmup + cosine schedule. */
class SgdTest {

    @Test
    void momentumAndWeightDecayFollowTorchSgd() {
        Tensor p = Tensors.requiresGrad(Tensors.fromFloats(new float[]{1f, -2f}, 2), true);
        Tensor c = Tensors.fromFloats(new float[]{0.5f, 3f}, 2);
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
            assertArrayEquals(new float[]{(float) pv[0], (float) pv[1]}, got, 1e-6f, "step " + step);
        }
        assertEquals(1, sgd.state().size(), "one momentum buffer, kept across step scopes");
        assertArrayEquals(new float[]{(float) buf[0], (float) buf[1]}, Tensors.toFloats(sgd.state().get("p")), 1e-6f);
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
