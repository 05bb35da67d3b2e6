package org.refconv.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** What models call a conv through: a plain {@link Conv2d} or a {@link RefConv2d} with the same geometry. */
public interface ConvLayer {

    Tensor forward(Tensor x);

    Conv2dSpec spec();

    /** The module to register in the parent under the conv's name. */
    Module module();
}
