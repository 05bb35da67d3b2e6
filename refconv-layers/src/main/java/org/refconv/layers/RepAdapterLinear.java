package org.refconv.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/**
 * Rep-Adapter for a fully connected layer: y = g1 * (W0 x + b0) + g2 * (W1 x + b1), with the pretrained W0, b0
 * frozen, the tuned W1, b1 initialised from them, and learnable per-output scales g1, g2 (initialised to
 * {@link RepAdapterOptions#scaleInit()}). It merges into one linear layer: W = g1 W0 + g2 W1, b = g1 b0 + g2 b1.
 *
 * <p>state_dict: {@code weight}, {@code bias} (the frozen pretrained pair, buffers: a plain checkpoint loads by
 * name), {@code tuned.weight}, {@code tuned.bias}, {@code scale_frozen}, {@code scale_tuned}.
 */
public class RepAdapterLinear extends Module {

    private final Tensor weight;
    private final Tensor bias;
    private final Linear tuned;
    private final Tensor scaleFrozen;
    private final Tensor scaleTuned;
    private final int inFeatures;
    private final int outFeatures;

    public RepAdapterLinear(int inFeatures, int outFeatures, RepAdapterOptions options) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = Modules.registerBuffer(this, "weight", Tensors.zeros(outFeatures, inFeatures));
        this.bias = Modules.registerBuffer(this, "bias", Tensors.zeros(outFeatures));
        this.tuned = register_module("tuned", new Linear(inFeatures, outFeatures));
        this.scaleFrozen = Modules.registerParameter(this, "scale_frozen", Tensors.zeros(outFeatures));
        this.scaleTuned = Modules.registerParameter(this, "scale_tuned", Tensors.zeros(outFeatures));
        try (NoGrad ignored = NoGrad.enter()) {
            scaleFrozen.fill_(new Scalar(options.scaleInit()));
            scaleTuned.fill_(new Scalar(options.scaleInit()));
        }
    }

    public Tensor forward(Tensor x) {
        Tensor frozen = Ops.mul(Ops.linear(x, weight, bias), scaleFrozen);
        return Ops.add(frozen, Ops.mul(tuned.forward(x), scaleTuned));
    }

    /** Call once the pretrained W0, b0 are loaded: the tuned branch starts as their copy. */
    public void basisLoaded() {
        try (NoGrad ignored = NoGrad.enter()) {
            tuned.weight().copy_(weight);
            tuned.bias().copy_(bias);
        }
    }

    /** The single linear layer this one equals: W = g1 W0 + g2 W1, b = g1 b0 + g2 b1. */
    public Linear toPlain() {
        Linear plain = new Linear(inFeatures, outFeatures);
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor g1 = scaleFrozen.view(-1, 1);
            Tensor g2 = scaleTuned.view(-1, 1);
            plain.weight().copy_(weight.mul(g1).add(tuned.weight().mul(g2)));
            plain.bias().copy_(bias.mul(scaleFrozen).add(tuned.bias().mul(scaleTuned)));
        }
        return plain;
    }

    public Tensor basisWeight() {
        return weight;
    }

    public Tensor basisBias() {
        return bias;
    }
}
