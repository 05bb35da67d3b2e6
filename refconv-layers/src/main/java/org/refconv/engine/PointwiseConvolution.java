package org.refconv.engine;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A CPU 1×1 convolution written as a matrix product over channels, instead of libtorch's convolution.
 *
 * <p>Why: on AVX-512 CPUs without AMX (this project's CI machine: AMD EPYC, family 26) the brgemm 1×1 convolution
 * kernels of the oneDNN inside libtorch 2.10 (v3.7.1) give wrong forward results for some channels-last shapes (512
 * output channels among them) and raise SIGFPE while the primitive is created for a few special-cased channel pairs
 * ({@code est_eff_1x1}'s "maskrcnn workaround" divides by a block count that is zero without AMX), which ResNet-50's
 * bottlenecks hit at every step; the shapes and measurements are in docs/engine.md.
 * {@code ONEDNN_MAX_CPU_ISA=AVX2} fixes the first but not the second (the AVX2 kernel shares the heuristic) and would
 * slow every other convolution down. The product is what those kernels compute anyway (a GEMM of pixels by channels,
 * here libtorch's BLAS), and autograd differentiates it like any other op. CUDA tensors are left to libtorch (cuDNN).
 */
final class PointwiseConvolution {

    private PointwiseConvolution() {}

    /** True for a CPU, ungrouped, unpadded, undilated 1×1 convolution of a 4-d batch. */
    static boolean replaces(Tensor x, Tensor weight, long[] padding, long[] dilation, long groups) {
        return x.dim() == 4
                && weight.dim() == 4
                && !x.is_cuda()
                && groups == 1
                && weight.size(2) == 1
                && weight.size(3) == 1
                && padding[0] == 0
                && padding[1] == 0
                && dilation[0] == 1
                && dilation[1] == 1;
    }

    /** The convolution's output (N, out, H', W'), in the input's layout (channels-last or NCHW) as libtorch's. */
    static Tensor forward(Tensor x, Tensor weight, Tensor bias, long[] stride) {
        Tensor sampled = x;
        if (stride[0] != 1 || stride[1] != 1) {
            // A 1×1 kernel with stride s reads every s-th pixel from the first one (no padding).
            sampled = x.slice(2, new LongOptional(0), new LongOptional(x.size(2)), stride[0])
                    .slice(3, new LongOptional(0), new LongOptional(x.size(3)), stride[1]);
        }
        long n = sampled.size(0);
        long h = sampled.size(2);
        long w = sampled.size(3);
        long in = weight.size(1);
        long out = weight.size(0);
        Tensor kernel = weight.reshape(out, in);
        // Channels-last and not also NCHW-contiguous (as when H = W = 1): the layout libtorch would convolve in.
        if (x.is_contiguous(torch.MemoryFormat.ChannelsLast) && !x.is_contiguous()) {
            // [N·H·W, in] × [in, out], then viewed back as (N, out, H, W) with NHWC strides: no copy out.
            Tensor pixels = sampled.permute(0, 2, 3, 1).reshape(n * h * w, in);
            Tensor product = bias == null ? pixels.mm(kernel.t()) : torch.addmm(bias, pixels, kernel.t());
            return product.view(n, h, w, out).permute(0, 3, 1, 2);
        }
        // NCHW: [out, in] × [N, in, H·W] per image, already in NCHW order.
        Tensor product = kernel.matmul(sampled.reshape(n, in, h * w));
        if (bias != null) {
            // In the product's dtype: under autocast an fp32 bias would promote the bf16 output back to fp32.
            product = product.add(bias.view(out, 1).to(product.scalar_type()));
        }
        return product.view(n, out, h, w);
    }
}
