package org.refconv.engine;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;

/** Weight initialisers with PyTorch's formulas (torch.nn.init), drawing from libtorch's default generator. */
public final class Init {

    private Init() {}

    /** Xavier/Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
    public static void xavierUniform(Tensor w) {
        long[] fans = fans(w);
        uniform(w, Math.sqrt(6.0 / (fans[0] + fans[1])));
    }

    /**
     * What torch.nn.Conv2d/Linear do by default: kaiming_uniform_(a = sqrt(5)), which reduces to
     * U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
     */
    public static void torchDefault(Tensor w) {
        uniform(w, 1.0 / Math.sqrt(fans(w)[0]));
    }

    /** The default bias init of torch.nn.Conv2d/Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) of the weight's fan-in. */
    public static void torchDefaultBias(Tensor bias, Tensor weight) {
        uniform(bias, 1.0 / Math.sqrt(fans(weight)[0]));
    }

    public static void zeros(Tensor w) {
        try (NoGrad ignored = NoGrad.enter()) {
            w.zero_();
        }
    }

    public static void uniform(Tensor w, double bound) {
        try (NoGrad ignored = NoGrad.enter()) {
            w.uniform_(-bound, bound, new GeneratorOptional());
        }
    }

    /** {fan_in, fan_out} of a weight [out, in, k...] as torch.nn.init computes them. */
    public static long[] fans(Tensor w) {
        long[] s = Tensors.shape(w);
        if (s.length < 2) {
            throw new IllegalArgumentException("fan in/out need a tensor of at least 2 dimensions");
        }
        long receptive = 1;
        for (int i = 2; i < s.length; i++) {
            receptive *= s[i];
        }
        return new long[] {s[1] * receptive, s[0] * receptive};
    }
}
