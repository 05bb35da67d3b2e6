package org.refconv.analysis;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.refconv.engine.Engine;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Wt computed from a checkpoint's two tensors equals what the RefConv layer itself convolves with. */
class RefocusedWeightTest {

    @ParameterizedTest
    @CsvSource({
        "4, 4, 3, 4, true", // depthwise: G = 1
        "4, 4, 3, 4, false",
        "3, 5, 3, 1, true", // dense: G = n2d
        "4, 6, 3, 2, true", // grouped
        "4, 6, 3, 2, false",
        "2, 3, 5, 1, true"
    }) // 5x5 basis, 3x3 transform
    void equalsTheLayersTransformedWeight(int in, int out, int kernel, int groups, boolean identity) {
        Engine.manualSeed(11);
        RefConv2d layer = new RefConv2d(
                Conv2dSpec.of("conv", in, out, kernel, 1, kernel / 2, groups, false),
                RefConvOptions.DEFAULT.withIdentity(identity));
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(Tensors.randn(Tensors.shape(layer.basisWeight())));
            layer.refocusingWeight().copy_(Tensors.randn(Tensors.shape(layer.refocusingWeight())));
        }
        RefocusLayer stored =
                new RefocusLayer("conv", Tensors.toHost(layer.basisWeight()), Tensors.toHost(layer.refocusingWeight()));
        assertEquals(layer.mapGroups(), stored.mapGroups(), "G read off the shapes");
        assertEquals(layer.n2d(), stored.n2d());

        float[] expected;
        try (NoGrad ignored = NoGrad.enter()) {
            expected = Tensors.toFloats(layer.transformedWeight());
        }
        float[] actual = RefocusedWeight.of(stored, identity);
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, "element " + i);
        }
    }
}
