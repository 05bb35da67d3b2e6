package org.refconv.engine;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/**
 * CPU 1×1 convolutions, which libtorch's oneDNN gets wrong or crashes on with AVX-512 (see PointwiseConvolution):
 * {@link Ops#conv2d} must return libtorch's float64 convolution of the same values (its reference kernel, not
 * oneDNN), gradients included, in the input's layout. Without the workaround, on this project's CI machine, the
 * 128->512 and 512->512 cases give outputs 40-70 % off and the special-cased pairs kill the test JVM (SIGFPE).
 */
class PointwiseConvolutionTest {

    private static final long[] ONE = {1, 1};
    private static final long[] ZERO = {0, 0};

    @ParameterizedTest(name = "{0}->{1} stride {2} bias {3} {4}")
    @CsvSource({
        "1024, 512, 1, false, channels-last, 16, 14",
        "256, 1024, 1, true, channels-last, 16, 14",
        "512, 1024, 2, false, channels-last, 16, 14",
        "1024, 2048, 2, true, contiguous, 16, 14",
        "2048, 512, 1, false, channels-last, 16, 14",
        "1024, 256, 2, true, contiguous, 16, 14",
        "512, 2048, 1, false, contiguous, 16, 14",
        "128, 512, 2, false, channels-last, 2, 4",
        "512, 512, 1, true, channels-last, 16, 7",
        "64, 256, 1, false, channels-last, 2, 1",
        "96, 24, 2, true, contiguous, 2, 7"
    })
    void equalsFloat64ConvolutionWithGradients(
            long in, long out, long stride, boolean withBias, String layout, long batch, long side) {
        Engine.manualSeed(7);
        assertMatchesFloat64(in, out, stride, withBias, MemoryFormat.parse(layout), batch, side);
    }

    /**
     * The sweep docs/engine.md's figure comes from (-Pslow): 16-2048 channels (out/in between 1/4 and 4), 2-28 px, batch 2
     * and 16, stride 1 and 2, both layouts.
     */
    @Test
    @Tag("slow")
    void sweepOfShapesEqualsFloat64Convolution() {
        Engine.manualSeed(11);
        long[] channels = {16, 32, 64, 96, 128, 256, 512, 1024, 2048};
        int shapes = 0;
        for (MemoryFormat format : MemoryFormat.values()) {
            for (long batch : new long[] {2, 16}) {
                for (long stride : new long[] {1, 2}) {
                    for (long in : channels) {
                        for (long out : channels) {
                            for (long side : new long[] {2, 4, 7, 14, 28}) {
                                if (out * 4 < in || out > in * 4 || batch * in * side * side > 16L * 512 * 28 * 28) {
                                    continue;
                                }
                                try (PointerScope ignored = new PointerScope()) {
                                    assertMatchesFloat64(in, out, stride, (shapes & 1) == 1, format, batch, side);
                                }
                                shapes++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(2 * 846, shapes, "shapes swept: 846 in each layout");
    }

    private static void assertMatchesFloat64(
            long in, long out, long stride, boolean withBias, MemoryFormat format, long batch, long side) {
        String what = in + "->" + out + " stride " + stride + " " + format + " batch " + batch + " " + side + " px";
        Tensor x = Tensors.requiresGrad(format.apply(Tensors.randn(batch, in, side, side)), true);
        Tensor weight = Tensors.requiresGrad(Tensors.randn(out, in, 1, 1).mul(new Scalar(0.05)), true);
        Tensor bias = withBias ? Tensors.requiresGrad(Tensors.randn(out), true) : null;
        long[] strides = {stride, stride};
        assertTrue(PointwiseConvolution.replaces(x, weight, ZERO, ONE, 1));

        Tensor y = Ops.conv2d(x, weight, bias, strides, ZERO, ONE, 1);
        assertTrue(format.isLayoutOf(y), "the output keeps the input's layout, as libtorch's convolution does");
        assertTrue(MemoryFormat.CONTIGUOUS.isLayoutOf(y) || !MemoryFormat.CONTIGUOUS.isLayoutOf(x), "NCHW stays NCHW");

        Tensor xRef = float64Leaf(x);
        Tensor wRef = float64Leaf(weight);
        Tensor bRef = withBias ? float64Leaf(bias) : null;
        Tensor reference = torch.conv2d(
                xRef, wRef, bRef == null ? new TensorOptional() : new TensorOptional(bRef), strides, ZERO, ONE, 1);
        assertClose(y.to(torch.ScalarType.Double), reference, 1e-5, what + ": output");

        Tensor upstream = Tensors.randn(y.size(0), y.size(1), y.size(2), y.size(3));
        y.mul(upstream).sum().backward();
        reference.mul(upstream.to(torch.ScalarType.Double)).sum().backward();
        assertClose(x.grad().to(torch.ScalarType.Double), xRef.grad(), 1e-5, what + ": input gradient");
        assertClose(weight.grad().to(torch.ScalarType.Double), wRef.grad(), 1e-5, what + ": weight gradient");
        if (withBias) {
            assertClose(bias.grad().to(torch.ScalarType.Double), bRef.grad(), 1e-5, what + ": bias gradient");
        }
    }

    private static Tensor float64Leaf(Tensor t) {
        return Tensors.requiresGrad(t.detach().to(torch.ScalarType.Double).contiguous(), true);
    }

    @Test
    void replacesCpuPointwiseConvolutionsOnly() {
        Tensor nhwc = MemoryFormat.CHANNELS_LAST.apply(Tensors.randn(2, 1024, 7, 7));
        Tensor pointwise = Tensors.randn(512, 1024, 1, 1);
        assertTrue(PointwiseConvolution.replaces(nhwc, pointwise, ZERO, ONE, 1));
        assertTrue(PointwiseConvolution.replaces(Tensors.randn(2, 1024, 7, 7), pointwise, ZERO, ONE, 1), "NCHW too");
        assertFalse(PointwiseConvolution.replaces(nhwc, Tensors.randn(512, 1024, 3, 3), ZERO, ONE, 1), "3x3");
        assertFalse(PointwiseConvolution.replaces(nhwc, Tensors.randn(512, 512, 1, 1), ZERO, ONE, 2), "grouped");
        assertFalse(PointwiseConvolution.replaces(nhwc, pointwise, ONE, ONE, 1), "padded");
        assertFalse(PointwiseConvolution.replaces(nhwc, pointwise, ZERO, new long[] {2, 2}, 1), "dilated");
    }
}
