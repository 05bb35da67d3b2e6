package org.refconv.layers;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/**
 * Rep-Adapter for a conv: a frozen branch with the pretrained weight W0 and a tuned branch initialised from W0, each
 * followed by its own BatchNorm (the per-output-channel scale of the method), summed:
 * y = BN_frozen(conv(x, W0)) + BN_tuned(conv(x, W1)) (+ bias). In eval mode both BNs are affine per channel, so the
 * layer merges into one conv of the original shape, W = W0 * s0 + W1 * s1, plus a bias b0 + b1 (see {@link #merge}).
 *
 * <p>state_dict: {@code weight} (W0, a frozen buffer, so a plain checkpoint loads by name), {@code bias} when the
 * conv has one (trainable), {@code tuned.weight} (W1), {@code frozen_bn.*} and {@code tuned_bn.*}.
 */
public class RepAdapterConv2d extends Module implements ReparamConv {

    private static final List<String> BN_KEYS =
            List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked");

    private final Conv2dSpec spec;
    private final Tensor weight;
    private final Tensor bias;
    // Children kept in fields: the parent holds only pointers (JavaCPP pitfall).
    private final Conv2d tuned;
    private final BatchNorm2d frozenBn;
    private final BatchNorm2d tunedBn;

    public RepAdapterConv2d(Conv2dSpec spec, RepAdapterOptions options) {
        this.spec = spec;
        this.weight = Modules.registerBuffer(this, "weight", Tensors.zeros(spec.weightShape()));
        this.bias = spec.bias() ? Modules.registerParameter(this, "bias", Tensors.zeros(spec.outChannels())) : null;
        this.tuned = register_module("tuned", new Conv2d(spec.withBias(false)));
        this.frozenBn = register_module("frozen_bn", new BatchNorm2d(spec.outChannels()));
        this.tunedBn = register_module("tuned_bn", new BatchNorm2d(spec.outChannels()));
        try (NoGrad ignored = NoGrad.enter()) {
            frozenBn.weight().fill_(new Scalar(options.scaleInit()));
            tunedBn.weight().fill_(new Scalar(options.scaleInit()));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor frozen = frozenBn.forward(
                Ops.conv2d(x, weight, null, spec.strides(), spec.paddings(), spec.dilations(), spec.groups()));
        Tensor sum = Ops.add(frozen, tunedBn.forward(tuned.forward(x)));
        return bias == null ? sum : Ops.add(sum, bias.view(1, -1, 1, 1));
    }

    @Override
    public List<String> addedKeys() {
        List<String> keys = new ArrayList<>();
        keys.add("tuned.weight");
        for (String bn : List.of("frozen_bn.", "tuned_bn.")) {
            BN_KEYS.forEach(k -> keys.add(bn + k));
        }
        return keys;
    }

    /**
     * The tuned branch starts as a copy of the pretrained weight. When a BatchNorm follows, its pretrained statistics
     * (those of conv(x, W0)) become both branch BNs' running statistics, and the following BN gets mean 0, variance 1
     * (its input is now normalised; variance 1 - eps, see below): in eval mode the adapted model then starts equal to the pretrained one, rather
     * than with running statistics that a short run cannot warm up (0 and 1 for a raw conv output).
     */
    @Override
    public void basisLoaded(NormStatistics following) {
        try (NoGrad ignored = NoGrad.enter()) {
            tuned.weight().copy_(weight);
            if (following != null) {
                for (BatchNorm2d bn : List.of(frozenBn, tunedBn)) {
                    bn.runningMean().copy_(following.runningMean());
                    bn.runningVar().copy_(following.runningVar());
                }
                following.runningMean().zero_();
                // 1 - eps: the following BN then divides by exactly 1 (torchvision's default eps; MobileNetV3's
                // 1e-3 leaves a factor 1/sqrt(1 + 1e-3 - 1e-5) per layer).
                following.runningVar().fill_(new Scalar(1.0 - BatchNorm2d.EPS));
            }
        }
    }

    /** W = W0 * s0 + W1 * s1 per output channel; bias = shift0 + shift1 (+ the conv's own bias). */
    @Override
    public ConvWeights merge() {
        Tensor[] f = frozenBn.evalScaleShift();
        Tensor[] t = tunedBn.evalScaleShift();
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor merged =
                    weight.mul(f[0].view(-1, 1, 1, 1)).add(tuned.weight().mul(t[0].view(-1, 1, 1, 1)));
            Tensor shift = f[1].add(t[1]);
            return new ConvWeights(merged, bias == null ? shift : shift.add(bias));
        }
    }

    @Override
    public Conv2dSpec spec() {
        return spec;
    }

    @Override
    public Module module() {
        return this;
    }

    /** The frozen pretrained weight W0. */
    public Tensor basisWeight() {
        return weight;
    }

    /** The tuned branch's weight W1. */
    public Tensor tunedWeight() {
        return tuned.weight();
    }
}
