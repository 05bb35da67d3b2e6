package org.refconv.models;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;
import org.refconv.layers.RefConvOptions.WrInit;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.FreezePolicy;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.Reparameterization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** Refocusing and folding every zoo model: keys, shapes, outputs (zero init and Xavier), rules, freezing. */
class ZooRefocusTest {

    private static final int CLASSES = 10;

    static Iterable<String> models() {
        return ModelZoo.names();
    }

    private static Classifier build(String model, ConvFactory convs) {
        Classifier m = ModelZoo.create(model, convs, 3, CLASSES, ZooTorchvisionTest.imageSize(model));
        m.train(false);
        return m;
    }

    /** The refocused twin of {@code pretrained}, its basis loaded from it. */
    private static Classifier refocus(String model, Classifier pretrained, Refocuser refocuser) {
        Classifier refocused = build(model, refocuser);
        Reparameterization.loadBasis(refocused, refocuser, Modules.toStateDict(pretrained), model);
        return refocused;
    }

    /**
     * The output in training mode, where BatchNorm uses the batch statistics: every layer then has activations of
     * order 1 (a fresh model in eval mode can shrink them to ~1e-9, e.g. the MobileNets' fan-out init of depthwise
     * convs), so the comparison is sensitive to every weight. The seed makes dropout draw the same mask each time.
     */
    private static Tensor forwardTraining(Classifier m, Tensor x) {
        m.train(true);
        Engine.manualSeed(99);
        Tensor y = m.forward(x);
        m.train(false);
        return y;
    }

    private static Tensor input(String model) {
        int s = ZooTorchvisionTest.imageSize(model);
        return Tensors.randn(2, 3, s, s);
    }

    @ParameterizedTest
    @MethodSource("models")
    void foldOfRefocusHasTheKeysShapesAndOutputsOfTheRefocusedModel(String model) {
        Engine.manualSeed(21);
        Classifier pretrained = build(model, ConvFactory.plain());
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        Classifier refocused = refocus(model, pretrained, refocuser);
        Classifier folded = build(model, ConvFactory.plain());
        Reparameterization.fold(refocused, refocuser, folded);

        Map<String, Tensor> want = Modules.stateDict(pretrained);
        Map<String, Tensor> got = Modules.stateDict(folded);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), model + ": keys in order");
        want.forEach((k, v) -> assertEquals(
                Arrays.toString(Tensors.shape(v)), Arrays.toString(Tensors.shape(got.get(k))), model + " " + k));
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = input(model);
            assertClose(folded.forward(x), refocused.forward(x), 1e-4, model + ": folded vs refocused, eval mode");
            Tensor ref = forwardTraining(refocused, x);
            assertClose(forwardTraining(folded, x), ref, 1e-4, model + ": folded vs refocused, training mode");
            // Xavier Wr moves the model away from the basis: the comparisons are not between two copies of it.
            assertTrue(Ops.maxAbsDiff(forwardTraining(pretrained, x), ref) > 1e-2 * Ops.maxAbs(ref), model);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void zeroInitRefocusedModelEqualsThePretrainedOne(String model) {
        Engine.manualSeed(22);
        Classifier pretrained = build(model, ConvFactory.plain());
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT.withInit(WrInit.ZERO));
        Classifier refocused = refocus(model, pretrained, refocuser);
        assertFalse(refocuser.layers().isEmpty());
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = input(model);
            assertEquals(0.0, Ops.maxAbsDiff(refocused.forward(x), pretrained.forward(x)), model + " eval mode");
            assertEquals(
                    0.0,
                    Ops.maxAbsDiff(forwardTraining(refocused, x), forwardTraining(pretrained, x)),
                    model + " training mode");
        }
    }

    @Test
    void rulesChooseTheConvs() {
        Refocuser all = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        build("resnet18", all);
        // The 7x7 stem and the 16 3x3 convs of the blocks; never the 1x1 downsamples.
        assertEquals(17, all.layers().size());
        assertTrue(all.layers().containsKey("conv1") && all.layers().containsKey("layer4.1.conv2"));
        assertFalse(all.layers().keySet().stream().anyMatch(k -> k.contains("downsample")));
        Refocuser official = new Refocuser(RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        build("resnet18", official);
        assertEquals(List.of("conv1"), List.copyOf(official.layers().keySet()));

        // MobileNetV2: the stem and the 17 depthwise convs under both rules (it has no other conv with K > 1).
        Refocuser mobile = new Refocuser(RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        build("mobilenet_v2", mobile);
        assertEquals(18, mobile.layers().size());
        assertEquals(
                List.of("features.0.0", "features.1.conv.0.0", "features.2.conv.1.0"),
                List.copyOf(mobile.layers().keySet()).subList(0, 3));
        RefConv2d dw = mobile.layers().get("features.2.conv.1.0");
        assertEquals(1, dw.mapGroups(), "depthwise: one dense transform over the C kernels");
        assertEquals("[96, 96, 3, 3]", Arrays.toString(Tensors.shape(dw.refocusingWeight())));

        // ShuffleNetV2 x1.0: stem + one depthwise conv per unit (16) + one more in each stage's first unit (3).
        Refocuser shuffle = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        build("shufflenet_v2_x1_0", shuffle);
        assertEquals(1 + 16 + 3, shuffle.layers().size());
        // MobileNetV3-Small: the stem and 11 depthwise convs (3x3 and 5x5; the transform stays 3x3).
        Refocuser v3 = new Refocuser(RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        build("mobilenet_v3_small", v3);
        assertEquals(12, v3.layers().size());
        assertEquals(
                "[96, 96, 3, 3]",
                Arrays.toString(
                        Tensors.shape(v3.layers().get("features.4.block.1.0").refocusingWeight())));
    }

    @Test
    void freezePoliciesChooseWhatTrains() {
        Engine.manualSeed(23);
        Refocuser refocuser = new Refocuser(RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        Classifier m = build("mobilenet_v3_small", refocuser);
        long wr = refocuser.layers().values().stream()
                .mapToLong(l -> l.refocusingWeight().numel())
                .sum();
        long allParams = Modules.count(Modules.trainableParameters(m).values());

        assertEquals(wr, FreezePolicy.ALL_BUT_REFOCUSING.apply(m, refocuser));
        Map<String, Tensor> trainable = Modules.trainableParameters(m);
        assertTrue(
                trainable.keySet().stream().allMatch(k -> k.endsWith(".convmap.weight")),
                trainable.keySet().toString());
        assertEquals(refocuser.layers().size(), trainable.size());
        m.train(true);
        Tensor loss = Ops.crossEntropy(m.forward(Tensors.randn(2, 3, 64, 64)), Tensors.fromLongs(new long[] {1, 2}, 2));
        loss.backward();
        DeferredGradients.of(refocuser).apply(); // the stem is dense 3x3: fused where available
        Map<String, Tensor> state = Modules.stateDict(m);
        assertTrue(state.get("features.0.0.convmap.weight").grad().defined());
        assertFalse(state.get("features.0.1.weight").grad().defined(), "BN frozen");
        assertFalse(state.get("classifier.3.weight").grad().defined(), "classifier frozen");

        // Back to the default: everything but the basis trains again (the basis is a buffer, never a parameter).
        assertEquals(allParams, FreezePolicy.BASIS_ONLY.apply(m, refocuser));
        assertFalse(state.get("features.0.0.weight").requires_grad());
        assertEquals(FreezePolicy.ALL_BUT_REFOCUSING, FreezePolicy.parse("all-but-refocusing"));
        assertThrows(IllegalArgumentException.class, () -> FreezePolicy.parse("bn"));
    }

    @Test
    void refusesARefocusedOrForeignCheckpoint() {
        Refocuser first = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        StateDict alreadyRefocused = Modules.toStateDict(build("resnet18", first));
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        Classifier target = build("resnet18", refocuser);
        IllegalArgumentException again = assertThrows(
                IllegalArgumentException.class,
                () -> Reparameterization.loadBasis(target, refocuser, alreadyRefocused, "step-9"));
        assertTrue(again.getMessage().contains("already refocused"), again.getMessage());
        StateDict resnet34 = Modules.toStateDict(build("resnet34", ConvFactory.plain()));
        IllegalArgumentException foreign = assertThrows(
                IllegalArgumentException.class,
                () -> Reparameterization.loadBasis(target, refocuser, resnet34, "resnet34.safetensors"));
        assertTrue(foreign.getMessage().contains("layer3.5.conv1.weight"), foreign.getMessage());
    }
}
