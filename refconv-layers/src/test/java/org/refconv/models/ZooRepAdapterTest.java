package org.refconv.models;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RepAdapterConv2d;
import org.refconv.layers.RepAdapterOptions;
import org.refconv.reparam.FreezePolicy;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.RepAdapters;
import org.refconv.reparam.Reparameterization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** Rep-Adapter on every zoo model: basis loading, and folding into the original keys with the same eval outputs. */
class ZooRepAdapterTest {

    private static final int CLASSES = 10;

    static Iterable<String> models() {
        return ModelZoo.names();
    }

    private static Classifier build(String model, ConvFactory convs) {
        return ModelZoo.create(model, convs, 3, CLASSES, ZooTorchvisionTest.imageSize(model));
    }

    private static Tensor input(String model) {
        int s = ZooTorchvisionTest.imageSize(model);
        return Tensors.randn(4, 3, s, s);
    }

    @ParameterizedTest
    @MethodSource("models")
    void foldedModelHasThePretrainedKeysAndTheAdaptedModelsEvalOutputs(String model) {
        Engine.manualSeed(41);
        Classifier pretrained = build(model, ConvFactory.plain());
        RepAdapters adapters = new RepAdapters(RefocusRule.ALL, RepAdapterOptions.DEFAULT);
        Classifier adapted = build(model, adapters);
        Reparameterization.loadBasis(adapted, adapters, Modules.toStateDict(pretrained), model);
        assertFalse(adapters.layers().isEmpty());
        for (RepAdapterConv2d layer : adapters.layers().values()) {
            assertEquals(0.0, Ops.maxAbsDiff(layer.tunedWeight(), layer.basisWeight()), "tuned branch starts as W0");
        }
        // "Train": running statistics from a few batches, and tuned weights moved away from W0.
        try (NoGrad ignored = NoGrad.enter()) {
            adapted.train(true);
            for (int i = 0; i < 3; i++) {
                adapted.forward(input(model));
            }
            for (RepAdapterConv2d layer : adapters.layers().values()) {
                layer.tunedWeight()
                        .add_(Ops.mul(layer.tunedWeight(), Tensors.randn(Tensors.shape(layer.tunedWeight())))
                                .mul(new Scalar(0.3)));
            }
        }
        adapted.eval();
        Classifier folded = build(model, ConvFactory.plain());
        Reparameterization.fold(adapted, adapters, folded);
        folded.eval();

        Map<String, Tensor> want = Modules.stateDict(pretrained);
        Map<String, Tensor> got = Modules.stateDict(folded);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), model + ": keys in order");
        want.forEach((k, v) -> assertEquals(
                Arrays.toString(Tensors.shape(v)), Arrays.toString(Tensors.shape(got.get(k))), model + " " + k));
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = input(model);
            Tensor y = adapted.forward(x);
            assertClose(folded.forward(x), y, 1e-4, model + ": folded vs adapted, eval mode");
            assertTrue(Ops.maxAbsDiff(pretrained.forward(x), y) > 1e-2 * Ops.maxAbs(y), model + ": adapted differs");
        }
    }

    /**
     * With the following BatchNorm's statistics moved into the branch BNs, the adapted model starts equal to the
     * pretrained one in eval mode (the "pretrained" model first gets real running statistics from a few batches).
     */
    @ParameterizedTest
    @MethodSource("models")
    void theAdaptedModelStartsEqualToThePretrainedOneInEvalMode(String model) {
        Engine.manualSeed(42);
        Classifier pretrained = build(model, ConvFactory.plain());
        try (NoGrad ignored = NoGrad.enter()) {
            pretrained.train(true);
            for (int i = 0; i < 3; i++) {
                pretrained.forward(input(model));
            }
        }
        pretrained.eval();
        RepAdapters adapters = new RepAdapters(RefocusRule.ALL, RepAdapterOptions.DEFAULT);
        Classifier adapted = build(model, adapters);
        Reparameterization.loadBasis(adapted, adapters, Modules.toStateDict(pretrained), model);
        adapted.eval();
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = input(model);
            assertClose(adapted.forward(x), pretrained.forward(x), 1e-4, model + ": adapted at start vs pretrained");
        }
    }

    @Test
    void alreadyAdaptedCheckpointsAreRefused() {
        RepAdapters first = new RepAdapters(RefocusRule.ALL, RepAdapterOptions.DEFAULT);
        Classifier adapted = build("cifar_quick", first);
        RepAdapters second = new RepAdapters(RefocusRule.ALL, RepAdapterOptions.DEFAULT);
        Classifier again = build("cifar_quick", second);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Reparameterization.loadBasis(again, second, Modules.toStateDict(adapted), "adapted.safetensors"));
        assertTrue(e.getMessage().contains("already refocused or adapted"), e.getMessage());
    }

    @Test
    void adaptersOnlyPolicyTrainsTheTunedBranchesAndTheirNorms() {
        RepAdapters adapters = new RepAdapters(RefocusRule.OFFICIAL, RepAdapterOptions.DEFAULT);
        Classifier m = build("mobilenet_v2", adapters);
        long expected = 0;
        for (RepAdapterConv2d layer : adapters.layers().values()) {
            expected += layer.tunedWeight().numel() + 4L * layer.spec().outChannels();
        }
        assertEquals(expected, FreezePolicy.ALL_BUT_REFOCUSING.apply(m, adapters));
        assertTrue(
                Modules.trainableParameters(m).keySet().stream()
                        .allMatch(k -> k.contains(".tuned") || k.contains("_bn.")),
                "only adapter tensors");
    }
}
