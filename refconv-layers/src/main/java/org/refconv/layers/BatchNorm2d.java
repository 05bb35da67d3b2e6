package org.refconv.layers;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/**
 * Batch normalisation over the channels of [N, C, H, W] with torch.nn.BatchNorm2d's state_dict: parameters
 * {@code weight} (ones), {@code bias} (zeros); buffers {@code running_mean} (zeros), {@code running_var} (ones) and
 * {@code num_batches_tracked} (int64 scalar). In training mode it normalises with the batch statistics and updates
 * the running ones; in eval mode it uses the running ones. Written in Java rather than libtorch's BatchNorm2dImpl,
 * which is not held by shared pointer and crashes when its wrapper is collected (see STACK.md).
 */
public class BatchNorm2d extends Module {

    /** torch.nn.BatchNorm2d's defaults. */
    public static final double EPS = 1e-5;

    public static final double MOMENTUM = 0.1;

    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    public BatchNorm2d(int channels) {
        this(channels, EPS, MOMENTUM);
    }

    public BatchNorm2d(int channels, double eps, double momentum) {
        if (channels < 1 || eps <= 0 || momentum < 0 || momentum > 1) {
            throw new IllegalArgumentException("BatchNorm2d(" + channels + ", eps " + eps + ", momentum " + momentum
                    + "): channels must be positive, eps > 0 and momentum in [0, 1]");
        }
        this.eps = eps;
        this.momentum = momentum;
        weight = Modules.registerParameter(this, "weight", Tensors.ones(channels));
        bias = Modules.registerParameter(this, "bias", Tensors.zeros(channels));
        runningMean = Modules.registerBuffer(this, "running_mean", Tensors.zeros(channels));
        runningVar = Modules.registerBuffer(this, "running_var", Tensors.ones(channels));
        numBatchesTracked = Modules.registerBuffer(this, "num_batches_tracked", Tensors.fromLongs(new long[] {0}));
    }

    public Tensor forward(Tensor x) {
        boolean training = is_training();
        if (training) {
            try (NoGrad ignored = NoGrad.enter()) {
                numBatchesTracked.add_(new Scalar(1L));
            }
        }
        return Ops.batchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    /**
     * The eval-mode transform as y = x * scale + shift per channel: scale = weight / sqrt(running_var + eps), shift =
     * bias - running_mean * scale (what folding a BN into the conv before it needs). New tensors, no autograd.
     */
    public Tensor[] evalScaleShift() {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor scale = runningVar.add(new Scalar(eps)).rsqrt().mul(weight);
            Tensor shift = bias.sub(runningMean.mul(scale));
            return new Tensor[] {scale, shift};
        }
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }
}
