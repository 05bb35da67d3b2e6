package org.refconv.analysis;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;

/**
 * The weight a refocus checkpoint's layer convolves with: Wt = conv2d(Wb as [1, n2d, K, K], Wr, padding k/2, groups
 * G) (+ Wb with the identity, Eq. 1), computed by the engine from the stored tensors alone.
 */
public final class RefocusedWeight {

    private RefocusedWeight() {
    }

    /** Wt in Wb's shape, row-major, as float32 (half-precision checkpoints are widened first). */
    public static float[] of(RefocusLayer layer, boolean identity) {
        long n2d = layer.n2d();
        long k = layer.kernel();
        long pad = layer.mapKernel() / 2;
        try (StepScope ignored = StepScope.openWithoutTrim(); NoGrad noGrad = NoGrad.enter()) {
            Tensor wb = Tensors.fromFloats(layer.basis().toFloatArray(), layer.basis().shape());
            Tensor wr = Tensors.fromFloats(layer.refocusing().toFloatArray(), layer.refocusing().shape());
            Tensor refocused = Ops.conv2d(wb.view(1, n2d, k, k), wr, null, new long[]{1, 1}, new long[]{pad, pad},
                    new long[]{1, 1}, layer.mapGroups()).view(layer.basis().shape());
            return Tensors.toFloats(identity ? Ops.add(refocused, wb) : refocused);
        }
    }
}
