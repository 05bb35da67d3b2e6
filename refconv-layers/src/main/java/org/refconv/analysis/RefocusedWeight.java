package org.refconv.analysis;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.NoGrad;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.layers.RefConv2d;

/**
 * The weight a refocus checkpoint's layer convolves with ({@link RefConv2d#transform}, Eq. 1), from the stored
 * tensors alone.
 */
public final class RefocusedWeight {

    private RefocusedWeight() {}

    /** Wt in Wb's shape, row-major, as float32 (half-precision checkpoints are widened first). */
    public static float[] of(RefocusLayer layer, boolean identity) {
        try (StepScope ignored = StepScope.openWithoutTrim();
                NoGrad noGrad = NoGrad.enter()) {
            Tensor wb = Tensors.fromFloats(
                    layer.basis().toFloatArray(), layer.basis().shape());
            Tensor wr = Tensors.fromFloats(
                    layer.refocusing().toFloatArray(), layer.refocusing().shape());
            return Tensors.toFloats(RefConv2d.transform(wb, wr, layer.mapGroups(), identity));
        }
    }
}
