package org.refconv.engine;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** The functional tensor operations layers and models are written with (the torch.nn.functional subset we need). */
public final class Ops {

    private Ops() {}

    /**
     * 2-D convolution; {@code bias} may be null. Pairs are (height, width). On CPU, 1×1 convolutions are computed as
     * matrix products: libtorch's own are broken on AVX-512 CPUs ({@link PointwiseConvolution}).
     */
    public static Tensor conv2d(
            Tensor x, Tensor weight, Tensor bias, long[] stride, long[] padding, long[] dilation, long groups) {
        if (PointwiseConvolution.replaces(x, weight, padding, dilation, groups)) {
            return PointwiseConvolution.forward(x, weight, bias, stride);
        }
        return torch.conv2d(x, weight, optional(bias), stride, padding, dilation, groups);
    }

    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return torch.linear(x, weight, optional(bias));
    }

    /** Batch normalisation over channels; in training mode it updates the running statistics in place. */
    public static Tensor batchNorm(
            Tensor x,
            Tensor weight,
            Tensor bias,
            Tensor runningMean,
            Tensor runningVar,
            boolean training,
            double momentum,
            double eps) {
        return torch.batch_norm(
                x,
                optional(weight),
                optional(bias),
                optional(runningMean),
                optional(runningVar),
                training,
                momentum,
                eps,
                false);
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor maxPool2d(Tensor x, long kernel, long stride, long padding) {
        return torch.max_pool2d(
                x,
                new long[] {kernel, kernel},
                new long[] {stride, stride},
                new long[] {padding, padding},
                new long[] {1, 1},
                false);
    }

    public static Tensor avgPool2d(Tensor x, long kernel, long stride, long padding) {
        return torch.avg_pool2d(
                x,
                new long[] {kernel, kernel},
                new long[] {stride, stride},
                new long[] {padding, padding},
                false,
                true,
                new LongOptional());
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

    /** out = a + alpha * b in one pass, without a temporary; {@code out} may be {@code a} or {@code b}. */
    public static Tensor addScaledInto(Tensor out, Tensor a, Tensor b, double alpha) {
        return torch.add_out(out, a, b, new Scalar(alpha));
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

    /** min(max(x, 0), 6): MobileNetV2's activation. */
    public static Tensor relu6(Tensor x) {
        return torch.hardtanh(x, new Scalar(0.0), new Scalar(6.0));
    }

    /** x * relu6(x + 3) / 6: MobileNetV3's activation. */
    public static Tensor hardswish(Tensor x) {
        return torch.hardswish(x);
    }

    /** relu6(x + 3) / 6: MobileNetV3's squeeze-and-excitation gate. */
    public static Tensor hardsigmoid(Tensor x) {
        return torch.hardsigmoid(x);
    }

    /** Zeroes elements with probability p and scales the rest by 1 / (1 - p) when training; the identity otherwise. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        return training && p > 0 ? torch.dropout(x, p, true) : x;
    }

    /** Element-wise product (with broadcasting). */
    public static Tensor mul(Tensor a, Tensor b) {
        return a.mul(b);
    }

    /** Concatenation along {@code dim}. */
    public static Tensor cat(long dim, Tensor... parts) {
        return torch.cat(new TensorVector(parts), dim);
    }

    /** Splits into {@code chunks} equal views along {@code dim} (torch.chunk). */
    public static Tensor[] chunk(Tensor x, long chunks, long dim) {
        return x.chunk(chunks, dim).get();
    }

    /**
     * ShuffleNet's channel shuffle, written as torchvision does: [N, g*c, H, W] viewed as [N, g, c, H, W],
     * groups and channels transposed, made contiguous and flattened back.
     */
    public static Tensor channelShuffle(Tensor x, long groups) {
        long n = x.size(0);
        long c = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        return x.view(n, groups, c / groups, h, w).transpose(1, 2).contiguous().view(n, -1, h, w);
    }

    private static TensorOptional optional(Tensor t) {
        return t == null ? new TensorOptional() : new TensorOptional(t);
    }
}
