package org.refconv.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/** A plain 2-D convolution with torch.nn.Conv2d's parameter names ({@code weight}, {@code bias}) and init. */
public class Conv2d extends Module implements ConvLayer {

    private final Conv2dSpec spec;
    private final Tensor weight;
    private final Tensor bias;

    public Conv2d(Conv2dSpec spec) {
        this.spec = spec;
        this.weight = Modules.registerParameter(this, "weight", Tensors.zeros(spec.weightShape()));
        Init.torchDefault(weight);
        if (spec.bias()) {
            this.bias = Modules.registerParameter(this, "bias", Tensors.zeros(spec.outChannels()));
            Init.torchDefaultBias(bias, weight);
        } else {
            this.bias = null;
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Ops.conv2d(x, weight, bias, spec.strides(), spec.paddings(), spec.dilations(), spec.groups());
    }

    @Override
    public Conv2dSpec spec() {
        return spec;
    }

    @Override
    public Module module() {
        return this;
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null when the conv has none. */
    public Tensor bias() {
        return bias;
    }
}
