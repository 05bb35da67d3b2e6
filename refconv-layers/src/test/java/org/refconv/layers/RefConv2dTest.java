package org.refconv.layers;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.RefocusKernel;
import org.refconv.engine.Tensors;
import org.refconv.layers.RefConvOptions.WrInit;
import org.refconv.testing.TestTensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** RefConv against PyTorch (fixtures/make_refconv_fixtures.py): forward, Wr gradient and folded weight. */
class RefConv2dTest {

    private static final double TOL = 1e-5;

    private record Case(RefConv2d layer, StateDict data, Map<String, String> meta) {
        Tensor t(String name) {
            return Tensors.fromHost(data.get(name));
        }
    }

    private static Case load(String name, RefConvOptions options) throws IOException {
        return load(name, options, true);
    }

    /** {@code fused = false}: the layer uses libtorch's transform even where the fused one is available. */
    private static Case load(String name, RefConvOptions options, boolean fused) throws IOException {
        StateDict sd = SafeTensors.read(
                TestTensors.resource("fixtures/refconv/" + name + ".safetensors")
                        .toString(),
                null);
        Map<String, String> m = sd.metadata();
        int k = Integer.parseInt(m.get("k"));
        Conv2dSpec spec = new Conv2dSpec(
                name,
                Integer.parseInt(m.get("cin")),
                Integer.parseInt(m.get("cout")),
                k,
                k,
                Integer.parseInt(m.get("stride")),
                Integer.parseInt(m.get("padding")),
                Integer.parseInt(m.get("dilation")),
                Integer.parseInt(m.get("groups")),
                Boolean.parseBoolean(m.get("bias")));
        RefConv2d layer = RefocusKernel.withFusedTransform(fused, () -> new RefConv2d(spec, options));
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(Tensors.fromHost(sd.get("wb")));
            layer.refocusingWeight().copy_(Tensors.fromHost(sd.get("wr")));
            if (spec.bias()) {
                layer.bias().copy_(Tensors.fromHost(sd.get("bias")));
            }
        }
        return new Case(layer, sd, m);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "dense3x3",
                "depthwise3x3",
                "grouped3x3",
                "strided_bias",
                "dense5x5",
                "depthwise5x5_stride2",
                "dilated"
            })
    void matchesPyTorchForwardGradientAndFoldedWeight(String name) throws IOException {
        Case c = load(name, RefConvOptions.DEFAULT);
        // Dense 3x3 convs take the fused transform wherever it is available; every other shape libtorch's.
        boolean dense3x3 =
                c.layer().mapGroups() == c.layer().n2d() && c.layer().spec().kernelH() == 3;
        assertEquals(dense3x3 && RefocusKernel.available(), c.layer().usesFusedTransform(), name);
        checkAgainstPyTorch(c, name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense3x3", "strided_bias", "dilated"})
    void libtorchTransformMatchesPyTorchToo(String name) throws IOException {
        // The same dense convs with the fused transform switched off: libtorch's autograd transform.
        Case c = load(name, RefConvOptions.DEFAULT, false);
        assertFalse(c.layer().usesFusedTransform(), name);
        checkAgainstPyTorch(c, name + " (libtorch transform)");
    }

    private static void checkAgainstPyTorch(Case c, String name) {
        RefConv2d layer = c.layer();
        assertEquals(Long.parseLong(c.meta().get("n2d")), layer.n2d());
        assertEquals(Long.parseLong(c.meta().get("G")), layer.mapGroups());

        Tensor out = layer.forward(c.t("x"));
        assertClose(out, c.t("out"), TOL, name + " forward");
        out.mul(c.t("gout")).sum().backward();
        layer.applyFusedGradient(); // a no-op on the autograd path
        assertClose(layer.refocusingWeight().grad(), c.t("grad_wr"), TOL, name + " grad Wr");
        assertFalse(layer.basisWeight().grad().defined(), "the basis must receive no gradient");
        assertFalse(layer.basisWeight().requires_grad(), "the basis must be frozen");
        if (layer.bias() != null) {
            assertTrue(layer.bias().grad().defined(), "a bias stays trainable");
        }
        try (NoGrad ignored = NoGrad.enter()) {
            assertClose(layer.transformedWeight(), c.t("wt"), TOL, name + " Wt");
            assertClose(layer.toPlain().forward(c.t("x")), c.t("out"), TOL, name + " folded conv");
        }
    }

    @Test
    void aBackwardWhoseGradientWasNotAppliedIsRefusedAtTheNextForward() throws IOException {
        Case c = load("dense3x3", RefConvOptions.DEFAULT);
        assumeTrue(c.layer().usesFusedTransform(), "fused transform not available: " + RefocusKernel.status());
        c.layer().forward(c.t("x")).sum().backward();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> c.layer().forward(c.t("x")));
        assertTrue(e.getMessage().contains("dense3x3") && e.getMessage().contains("not applied"), e.getMessage());
        c.layer().applyFusedGradient();
        assertTrue(c.layer().refocusingWeight().grad().defined(), "dWr after apply");
        c.layer().forward(c.t("x")); // accepted again
    }

    @ParameterizedTest
    @ValueSource(strings = {"dense3x3", "strided_bias"})
    void withoutIdentityMatchesPyTorch(String name) throws IOException {
        Case c = load(name, RefConvOptions.DEFAULT.withIdentity(false));
        try (NoGrad ignored = NoGrad.enter()) {
            assertClose(c.layer().forward(c.t("x")), c.t("out_no_identity"), TOL, name + " without identity");
        }
    }

    @Test
    void refocusingGroupsFollowEquationTwo() {
        // Depthwise: G = 1, so Wr is dense C x C x 3 x 3.
        RefConv2d dw = new RefConv2d(Conv2dSpec.of("dw", 32, 32, 3, 1, 1, 32, false), RefConvOptions.DEFAULT);
        assertEquals(1, dw.mapGroups());
        assertEquals("[32, 32, 3, 3]", Arrays.toString(Tensors.shape(dw.refocusingWeight())));
        // Dense: G = n2d = Cin * Cout, one 3x3 per 2-D kernel.
        RefConv2d dense = new RefConv2d(Conv2dSpec.of("dense", 3, 5, 3, 1, 1, 1, false), RefConvOptions.DEFAULT);
        assertEquals(15, dense.n2d());
        assertEquals(15, dense.mapGroups());
        assertEquals("[15, 1, 3, 3]", Arrays.toString(Tensors.shape(dense.refocusingWeight())));
        // Grouped (g = 2, Cin = Cout = 8): n2d = 32, G = 16, Wr [32, 2, 3, 3].
        RefConv2d grouped = new RefConv2d(Conv2dSpec.of("grouped", 8, 8, 3, 1, 1, 2, false), RefConvOptions.DEFAULT);
        assertEquals(32, grouped.n2d());
        assertEquals(16, grouped.mapGroups());
        assertEquals("[32, 2, 3, 3]", Arrays.toString(Tensors.shape(grouped.refocusingWeight())));
    }

    @Test
    void zeroInitEqualsThePlainConvExactly() {
        Engine.manualSeed(7);
        Conv2dSpec spec = Conv2dSpec.of("zi", 6, 6, 3, 2, 1, 3, true);
        RefConv2d layer = new RefConv2d(spec, RefConvOptions.DEFAULT.withInit(WrInit.ZERO));
        Tensor wb = Tensors.randn(spec.weightShape());
        Tensor b = Tensors.randn(6);
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(wb);
            layer.bias().copy_(b);
            Tensor x = Tensors.randn(2, 6, 11, 11);
            Tensor plain = Ops.conv2d(x, wb, b, spec.strides(), spec.paddings(), spec.dilations(), spec.groups());
            assertEquals(0.0, Ops.maxAbsDiff(layer.forward(x), plain));
        }
    }

    @Test
    void xavierAndKaimingInitHaveTorchBounds() {
        Engine.manualSeed(3);
        // Dense 16 -> 16: Wr [256, 1, 3, 3], fan_in 9, fan_out 2304.
        Conv2dSpec spec = Conv2dSpec.of("init", 16, 16, 3, 1, 1, 1, false);
        Tensor xavier = new RefConv2d(spec, RefConvOptions.DEFAULT).refocusingWeight();
        double xavierBound = Math.sqrt(6.0 / (9 + 2304));
        assertBoundAndSpread(xavier, xavierBound);
        Tensor kaiming = new RefConv2d(spec, RefConvOptions.DEFAULT.withInit(WrInit.KAIMING)).refocusingWeight();
        assertBoundAndSpread(kaiming, 1.0 / 3.0);
        Tensor zero = new RefConv2d(spec, RefConvOptions.DEFAULT.withInit(WrInit.ZERO)).refocusingWeight();
        assertEquals(0.0, Ops.maxAbs(zero));
    }

    private static void assertBoundAndSpread(Tensor w, double bound) {
        float[] v = Tensors.toFloats(w);
        double sq = 0;
        for (float f : v) {
            assertTrue(Math.abs(f) <= bound + 1e-7, "value " + f + " outside U(-" + bound + ", " + bound + ")");
            sq += f * f;
        }
        double std = Math.sqrt(sq / v.length);
        double expected = bound / Math.sqrt(3);
        assertTrue(Math.abs(std - expected) < 0.1 * expected, "std " + std + " vs uniform's " + expected);
    }

    @Test
    void refusesConvsItCannotRefocusNamingTheLayer() {
        IllegalArgumentException oneByOne = assertThrows(
                IllegalArgumentException.class,
                () -> new RefConv2d(Conv2dSpec.of("layer1.0.conv3", 8, 8, 1, 1, 0, 1, false), RefConvOptions.DEFAULT));
        assertTrue(oneByOne.getMessage().contains("layer1.0.conv3"), oneByOne.getMessage());
        IllegalArgumentException nonSquare = assertThrows(
                IllegalArgumentException.class,
                () -> new RefConv2d(
                        new Conv2dSpec("Mixed_6b.branch7x7_2", 8, 8, 1, 7, 1, 0, 1, 1, false), RefConvOptions.DEFAULT));
        assertTrue(
                nonSquare.getMessage().contains("Mixed_6b.branch7x7_2")
                        && nonSquare.getMessage().contains("square"),
                nonSquare.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RefConvOptions(WrInit.XAVIER, true, 2, false));
    }
}
