package org.refconv.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Init;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/** A fully connected layer with torch.nn.Linear's parameter names and init. */
public class Linear extends Module {

    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this.weight = Modules.registerParameter(this, "weight", Tensors.zeros(outFeatures, inFeatures));
        this.bias = Modules.registerParameter(this, "bias", Tensors.zeros(outFeatures));
        Init.torchDefault(weight);
        Init.torchDefaultBias(bias, weight);
    }

    public Tensor forward(Tensor x) {
        return Ops.linear(x, weight, bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }
}
