package org.refconv.engine;

import java.util.concurrent.CompletableFuture;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.refconv.layers.Conv2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.relativeError;

/** The autocast scope: what runs in bf16, what stays fp32, per-thread state, and no stale weight casts. */
class AutocastTest {

    private static ScalarType type(Tensor t) {
        return t.scalar_type().intern();
    }

    private static Conv2d conv(int in, int out) {
        Engine.manualSeed(3);
        return new Conv2d(Conv2dSpec.of("c", in, out, 3, 1, 1, 1, true));
    }

    @Test
    void convolutionsRunInBf16InsideAndTheStateIsRestoredAfter() {
        Conv2d c = conv(4, 8);
        Tensor x = Tensors.randn(2, 4, 6, 6);
        boolean cacheBefore = torch.is_autocast_cache_enabled();
        assertFalse(Autocast.enabled(Device.CPU));
        Tensor inside;
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            assertTrue(Autocast.enabled(Device.CPU));
            assertFalse(torch.is_autocast_cache_enabled(), "no weight-cast cache inside");
            inside = c.forward(x);
            assertEquals(ScalarType.BFloat16, type(inside));
        }
        assertFalse(Autocast.enabled(Device.CPU));
        assertEquals(cacheBefore, torch.is_autocast_cache_enabled());
        Tensor outside = c.forward(x);
        assertEquals(ScalarType.Float, type(outside));
        assertEquals(ScalarType.Float, type(c.weight()), "the master weight stays fp32");
        double err = relativeError(Autocast.toFloat(inside), outside);
        assertTrue(err > 0 && err < 2e-2, "bf16 conv vs fp32: " + err);
        try (Autocast ignored = Autocast.enter(Precision.FP32, Device.CPU)) {
            assertEquals(ScalarType.Float, type(c.forward(x)), "fp32 changes nothing");
        }
        assertThrows(IllegalArgumentException.class, () -> Autocast.enter(Precision.AUTO, Device.CPU));
        assertThrows(IllegalArgumentException.class, () -> Autocast.enter(Precision.FP16, Device.CPU));
    }

    @Test
    void theStateBelongsToTheThreadThatEnteredIt() throws Exception {
        Conv2d c = conv(4, 8);
        Tensor x = Tensors.randn(2, 4, 6, 6);
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            ScalarType other =
                    CompletableFuture.supplyAsync(() -> type(c.forward(x))).get();
            assertEquals(ScalarType.Float, other, "another rank's thread is not under this thread's autocast");
            assertEquals(ScalarType.BFloat16, type(c.forward(x)));
        }
    }

    @Test
    void suspendComputesARegionInFp32AndNests() {
        Conv2d c = conv(4, 8);
        Tensor x = Tensors.randn(2, 4, 6, 6);
        try (Autocast outer = Autocast.enter(Precision.BF16, Device.CPU)) {
            try (Autocast fp32 = Autocast.suspend()) {
                assertEquals(ScalarType.Float, type(c.forward(x)));
                try (Autocast inner = Autocast.enter(Precision.BF16, Device.CPU)) {
                    assertEquals(ScalarType.BFloat16, type(c.forward(x)));
                }
                assertEquals(ScalarType.Float, type(c.forward(x)), "still suspended after the inner scope");
            }
            assertEquals(ScalarType.BFloat16, type(c.forward(x)), "autocast again after the suspension");
        }
        try (Autocast fp32 = Autocast.suspend()) {
            assertEquals(ScalarType.Float, type(c.forward(x)));
        }
        assertFalse(Autocast.enabled(Device.CPU), "a suspension outside autocast does not switch it on");
    }

    /**
     * A weight changed in place (an optimizer step, a broadcast) between two forwards must change the bf16 output,
     * within one scope and across scopes: a cached cast of the old weight would not.
     */
    @Test
    void aWeightChangedInPlaceChangesTheBf16Output() {
        Conv2d c = conv(8, 8);
        Tensor x = Tensors.randn(2, 8, 6, 6);
        Tensor first;
        Tensor second;
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            first = Autocast.toFloat(c.forward(x));
            try (NoGrad g = NoGrad.enter()) {
                c.weight().mul_(new Scalar(-1.0));
            }
            second = Autocast.toFloat(c.forward(x));
        }
        Tensor expected = c.forward(x);
        assertTrue(relativeError(second, expected) < 2e-2, "the new weight, within one scope");
        assertTrue(relativeError(first, expected) > 0.5, "the old output differs");
        try (NoGrad g = NoGrad.enter()) {
            c.weight().mul_(new Scalar(-1.0));
        }
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            assertTrue(relativeError(Autocast.toFloat(c.forward(x)), first) < 1e-6, "across scopes");
        }
    }

    /**
     * The fused RefConv path (forced on, so that it runs on CPUs without AVX-512 too) rewrites its Wt leaf in place at
     * every forward: a changed Wr must change the bf16 output, and Wt itself stays fp32.
     */
    @Test
    void theFusedRefConvPathNeverReusesAStaleWeight() {
        Engine.manualSeed(5);
        RefConv2d layer = RefocusKernel.withFusedTransformForced(
                () -> new RefConv2d(Conv2dSpec.of("dense", 8, 8, 3, 1, 1, 1, false), RefConvOptions.DEFAULT));
        assertTrue(layer.usesFusedTransform(), RefocusKernel.status());
        try (NoGrad g = NoGrad.enter()) {
            layer.basisWeight().copy_(Tensors.randn(8, 8, 3, 3));
        }
        Tensor x = Tensors.randn(2, 8, 6, 6);
        Tensor first;
        Tensor second;
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            first = Autocast.toFloat(layer.forward(x));
            assertEquals(ScalarType.Float, type(layer.fusedWeight()), "Wt is computed in fp32");
            try (NoGrad g = NoGrad.enter()) {
                layer.refocusingWeight().mul_(new Scalar(-3.0));
            }
            second = Autocast.toFloat(layer.forward(x));
        }
        Tensor expected = layer.forward(x);
        assertTrue(
                relativeError(second, expected) < 2e-2,
                "bf16 output from the new Wr: " + relativeError(second, expected));
        assertTrue(relativeError(first, expected) > 0.1, "the old Wr's output differs");
        // And across steps: backward, dWt -> dWr, an SGD-like change of Wr, the next step's forward.
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            Autocast.toFloat(layer.forward(x)).sum().backward();
        }
        layer.applyFusedGradient();
        assertEquals(ScalarType.Float, type(layer.refocusingWeight().grad()), "dWr is fp32");
        try (NoGrad g = NoGrad.enter()) {
            layer.refocusingWeight().add_(layer.refocusingWeight().grad(), new Scalar(-0.5));
        }
        Tensor after = layer.forward(x);
        try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
            Tensor next = Autocast.toFloat(layer.forward(x));
            assertTrue(relativeError(next, after) < 2e-2, "the next step sees the updated Wr");
            assertTrue(relativeError(next, expected) > 1e-2, "and not the previous step's");
        }
    }

    /** The autograd transform (depthwise and any non-fused conv) runs in fp32 under autocast, bit for bit. */
    @Test
    void theRefocusingTransformIsComputedInFp32UnderAutocast() {
        Engine.manualSeed(6);
        RefConv2d depthwise = RefocusKernel.withFusedTransform(
                false, () -> new RefConv2d(Conv2dSpec.of("dw", 8, 8, 3, 1, 1, 8, false), RefConvOptions.DEFAULT));
        RefConv2d dense = RefocusKernel.withFusedTransform(
                false, () -> new RefConv2d(Conv2dSpec.of("dense", 4, 4, 3, 1, 1, 1, false), RefConvOptions.DEFAULT));
        for (RefConv2d layer : new RefConv2d[] {depthwise, dense}) {
            assertFalse(layer.usesFusedTransform());
            try (NoGrad g = NoGrad.enter()) {
                layer.basisWeight().copy_(Tensors.randn(Tensors.shape(layer.basisWeight())));
            }
            Tensor reference = layer.forwardWeight();
            Tensor x = Tensors.randn(2, layer.spec().inChannels(), 5, 5);
            try (Autocast ignored = Autocast.enter(Precision.BF16, Device.CPU)) {
                Tensor wt = layer.forwardWeight();
                assertEquals(ScalarType.Float, type(wt), layer.spec().name());
                assertEquals(0.0, Ops.maxAbsDiff(wt, reference), layer.spec().name() + ": the fp32 transform");
                Tensor y = layer.forward(x);
                assertEquals(ScalarType.BFloat16, type(y), "the convolution with x is bf16");
                Autocast.toFloat(y).sum().backward();
            }
            assertEquals(ScalarType.Float, type(layer.refocusingWeight().grad()));
        }
    }
}
