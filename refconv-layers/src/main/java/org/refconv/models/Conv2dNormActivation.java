package org.refconv.models;

import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Tensor;
import org.refconv.layers.BatchNorm2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.Sequential;

/**
 * torchvision.ops.Conv2dNormActivation: conv ("0", no bias, padding (k - 1) / 2), BatchNorm ("1") and an optional
 * activation (position 2, no state). The MobileNets are built from it.
 */
final class Conv2dNormActivation extends Sequential {

    /**
     * @param norm       BatchNorm for the given channels (the MobileNets differ in eps and momentum)
     * @param activation null for none (the linear projection of an inverted residual)
     * @param stem       whether the conv is the network's first, on the image
     */
    Conv2dNormActivation(
            ConvFactory convs,
            String prefix,
            int in,
            int out,
            int kernel,
            int stride,
            int groups,
            IntFunction<BatchNorm2d> norm,
            UnaryOperator<Tensor> activation,
            boolean stem) {
        super(prefix);
        add(convs.create(Conv2dSpec.of(next(), in, out, kernel, stride, (kernel - 1) / 2, groups, false), stem));
        add(norm.apply(out));
        if (activation != null) {
            add(activation);
        }
    }
}
