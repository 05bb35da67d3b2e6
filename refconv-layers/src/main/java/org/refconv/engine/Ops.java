package org.refconv.engine;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** The functional tensor operations layers and models are written with (the torch.nn.functional subset we need). */
public final class Ops {

    private Ops() {
    }

    /** 2-D convolution; {@code bias} may be null. Pairs are (height, width). */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation,
                                long groups) {
        return torch.conv2d(x, weight, optional(bias), stride, padding, dilation, groups);
    }

    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return torch.linear(x, weight, optional(bias));
    }

    /** Batch normalisation over channels; in training mode it updates the running statistics in place. */
    public static Tensor batchNorm(Tensor x, Tensor weight, Tensor bias, Tensor runningMean, Tensor runningVar,
                                   boolean training, double momentum, double eps) {
        return torch.batch_norm(x, optional(weight), optional(bias), optional(runningMean), optional(runningVar),
                training, momentum, eps, false);
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor maxPool2d(Tensor x, long kernel, long stride, long padding) {
        return torch.max_pool2d(x, new long[]{kernel, kernel}, new long[]{stride, stride},
                new long[]{padding, padding}, new long[]{1, 1}, false);
    }

    public static Tensor avgPool2d(Tensor x, long kernel, long stride, long padding) {
        return torch.avg_pool2d(x, new long[]{kernel, kernel}, new long[]{stride, stride},
                new long[]{padding, padding}, false, true, new LongOptional());
    }

    public static Tensor adaptiveAvgPool2d(Tensor x, long outH, long outW) {
        return torch.adaptive_avg_pool2d(x, outH, outW);
    }

    /** Flattens every dimension from {@code startDim} on. */
    public static Tensor flatten(Tensor x, long startDim) {
        return torch.flatten(x, startDim, -1);
    }

    public static Tensor reshape(Tensor x, long... shape) {
        return x.reshape(shape);
    }

    public static Tensor add(Tensor a, Tensor b) {
        return a.add(b);
    }

    /** Mean cross-entropy of logits [N, C] against class indices [N] (int64). */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return torch.cross_entropy_loss(logits, targets);
    }

    /** Index of the largest logit per row. */
    public static Tensor argmax(Tensor logits) {
        return logits.argmax(new LongOptional(1), false);
    }

    /** Largest absolute element-wise difference, for comparisons in tests and verification. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        try (NoGrad ignored = NoGrad.enter()) {
            return a.sub(b).abs().max().item_double();
        }
    }

    public static double maxAbs(Tensor a) {
        try (NoGrad ignored = NoGrad.enter()) {
            return a.abs().max().item_double();
        }
    }

    public static Tensor scale(Tensor a, double factor) {
        return a.mul(new Scalar(factor));
    }

    private static TensorOptional optional(Tensor t) {
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }
}
