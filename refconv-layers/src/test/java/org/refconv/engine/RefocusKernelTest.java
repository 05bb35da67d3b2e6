package org.refconv.engine;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.refconv.layers.RefConv2d;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/**
 * The fused refocusing kernel against libtorch's transform (a depthwise convolution of Wb viewed as 1 x n2d x 3 x 3,
 * in float64, differentiated by autograd): forward and the Wr gradient, vector and scalar code, kernel counts that
 * are and are not multiples of the 16-kernel tile, split over threads.
 */
class RefocusKernelTest {

    @AfterEach
    void oneThreadAgain() {
        Engine.setThreads(1);
    }

    @Test
    void theLibraryIsBuiltAndLoads() {
        // The module's build compiles it with gcc; only a CPU without AVX-512 may leave the fused path unused.
        assertTrue(RefocusKernel.status().contains("fused"), RefocusKernel.status());
    }

    @ParameterizedTest
    @CsvSource({
        "1, 1, true, 1",
        "3, 5, true, 1",
        "4, 4, true, 1",
        "17, 1, false, 1",
        "16, 9, true, 1",
        "64, 65, true, 2",
        "128, 64, false, 2"
    })
    void forwardAndGradientMatchLibtorch(int cout, int cin, boolean identity, int threads) {
        Engine.setThreads(threads);
        Engine.manualSeed(cout * 31L + cin);
        long n2d = (long) cout * cin;
        Tensor basis = Tensors.randn(cout, cin, 3, 3);
        Tensor refocusing = Tensors.randn(n2d, 1, 3, 3);
        Tensor gradOut = Tensors.randn(cout, cin, 3, 3);

        // Reference in float64: Wt by libtorch's conv, dWr by autograd.
        Tensor wr64 = Tensors.requiresGrad(refocusing.to(torch.ScalarType.Double), true);
        Tensor wt64 = RefConv2d.transform(basis.to(torch.ScalarType.Double), wr64, n2d, identity);
        wt64.backward(gradOut.to(torch.ScalarType.Double), new BoolOptional(), false, new TensorArrayRefOptional());
        Tensor wantWt = wt64.detach().to(torch.ScalarType.Float);
        Tensor wantGrad = wr64.grad().to(torch.ScalarType.Float);

        for (boolean vector : new boolean[] {true, false}) {
            String what = cout + "x" + cin + (vector ? " vector" : " scalar") + ", " + threads + " threads";
            Tensor wt = Tensors.emptyLike(basis);
            RefocusKernel.forward(basis, refocusing, wt, identity, vector);
            assertClose(wt, wantWt, 1e-6, what + " Wt");
            Tensor grad = Tensors.emptyLike(refocusing);
            RefocusKernel.backward(basis, gradOut, grad, false, vector);
            assertClose(grad, wantGrad, 1e-6, what + " dWr");
            // Accumulating adds the same gradient again.
            RefocusKernel.backward(basis, gradOut, grad, true, vector);
            assertClose(grad, wantGrad.mul(new org.bytedeco.pytorch.Scalar(2.0)), 1e-6, what + " dWr accumulated");
        }
    }

    @Test
    void largeLayersSplitOverThreadsGiveTheSameBits() {
        // 512 x 512 kernels: enough tiles to be split; each kernel is computed the same way whatever thread runs it.
        Engine.manualSeed(11);
        Tensor basis = Tensors.randn(512, 512, 3, 3);
        Tensor refocusing = Tensors.randn(512L * 512, 1, 3, 3);
        Engine.setThreads(1);
        Tensor one = Tensors.emptyLike(basis);
        RefocusKernel.forward(basis, refocusing, one, true);
        Engine.setThreads(2);
        Tensor two = Tensors.emptyLike(basis);
        RefocusKernel.forward(basis, refocusing, two, true);
        assertEquals(0.0, Ops.maxAbsDiff(one, two));
        assertTrue(Ops.maxAbs(one) > 0);
    }

    @Test
    void operandsThatDoNotFitAreRefusedBeforeAnyNativeRead() {
        Tensor basis = Tensors.randn(4, 4, 3, 3);
        Tensor refocusing = Tensors.randn(16, 1, 3, 3);
        IllegalArgumentException shape = assertThrows(
                IllegalArgumentException.class,
                () -> RefocusKernel.forward(basis, Tensors.randn(15, 1, 3, 3), Tensors.emptyLike(basis), true));
        assertTrue(shape.getMessage().contains("144 values"), shape.getMessage());
        IllegalArgumentException dtype = assertThrows(
                IllegalArgumentException.class,
                () -> RefocusKernel.forward(
                        basis, refocusing.to(torch.ScalarType.Double), Tensors.emptyLike(basis), true));
        assertTrue(dtype.getMessage().contains("float32"), dtype.getMessage());
        IllegalArgumentException strided = assertThrows(
                IllegalArgumentException.class,
                () -> RefocusKernel.backward(basis, basis.transpose(0, 1), Tensors.emptyLike(refocusing), false));
        assertTrue(strided.getMessage().contains("not contiguous"), strided.getMessage());
        IllegalArgumentException kernel = assertThrows(
                IllegalArgumentException.class,
                () -> RefocusKernel.forward(Tensors.randn(4, 4, 5, 5), refocusing, Tensors.randn(4, 4, 5, 5), true));
        assertTrue(kernel.getMessage().contains("[Cout, Cin/g, 3, 3]"), kernel.getMessage());
    }
}
