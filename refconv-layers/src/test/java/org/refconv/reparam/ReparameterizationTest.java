package org.refconv.reparam;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConvOptions;
import org.refconv.layers.RefConvOptions.WrInit;
import org.refconv.models.CifarQuick;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** Whole-model refocusing and folding: keys, shapes and outputs against the plain model (invariants). */
class ReparameterizationTest {

    private static CifarQuick plain() {
        return new CifarQuick(ConvFactory.plain(), 3, 10, 32);
    }

    @Test
    void foldGivesThePretrainedKeysShapesAndTheRefocusedOutputs() {
        Engine.manualSeed(11);
        CifarQuick pretrained = plain();
        StateDict basis = Modules.toStateDict(pretrained);
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        CifarQuick refocused = new CifarQuick(refocuser, 3, 10, 32);
        Reparameterization.loadBasis(refocused, refocuser, basis, "memory");
        assertEquals(
                List.of("conv1", "conv2", "conv3"),
                List.copyOf(refocuser.layers().keySet()));
        assertTrue(Modules.stateDict(refocused).containsKey("conv2.convmap.weight"));

        CifarQuick folded = plain();
        Reparameterization.fold(refocused, refocuser, folded);
        Map<String, Tensor> want = Modules.stateDict(pretrained);
        Map<String, Tensor> got = Modules.stateDict(folded);
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), "same keys in the same order");
        want.forEach((k, v) ->
                assertEquals(Arrays.toString(Tensors.shape(v)), Arrays.toString(Tensors.shape(got.get(k))), k));

        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = Tensors.randn(4, 3, 32, 32);
            Tensor ref = refocused.forward(x);
            assertClose(folded.forward(x), ref, 1e-5, "folded vs refocused logits");
            // Xavier-initialised Wr really changes the model: the test above is not comparing two copies of the basis.
            assertTrue(Ops.maxAbsDiff(pretrained.forward(x), ref) > 1e-3);
            // Untouched tensors (fc layers, biases) are copied exactly.
            assertEquals(0.0, Ops.maxAbsDiff(Modules.stateDict(folded).get("fc1.weight"), want.get("fc1.weight")));
        }
    }

    @Test
    void zeroInitRefocusedModelEqualsThePretrainedOne() {
        Engine.manualSeed(12);
        CifarQuick pretrained = plain();
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT.withInit(WrInit.ZERO));
        CifarQuick refocused = new CifarQuick(refocuser, 3, 10, 32);
        Reparameterization.loadBasis(refocused, refocuser, Modules.toStateDict(pretrained), "memory");
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = Tensors.randn(2, 3, 32, 32);
            assertEquals(0.0, Ops.maxAbsDiff(refocused.forward(x), pretrained.forward(x)));
        }
    }

    @Test
    void officialRuleReplacesOnlyTheStemHere() {
        // Cifar-quick has no depthwise conv: the official rule (stem + depthwise) refocuses conv1 only.
        Refocuser refocuser = new Refocuser(RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        new CifarQuick(refocuser, 3, 10, 32);
        assertEquals(List.of("conv1"), List.copyOf(refocuser.layers().keySet()));
    }

    @Test
    void refusesAnAlreadyRefocusedOrForeignCheckpoint() {
        Refocuser first = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        StateDict refocusedState = Modules.toStateDict(new CifarQuick(first, 3, 10, 32));
        Refocuser second = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        CifarQuick target = new CifarQuick(second, 3, 10, 32);
        IllegalArgumentException again = assertThrows(
                IllegalArgumentException.class,
                () -> Reparameterization.loadBasis(target, second, refocusedState, "run-7/step-100"));
        assertTrue(
                again.getMessage().contains("already refocused")
                        && again.getMessage().contains("run-7/step-100"),
                again.getMessage());

        StateDict otherModel = Modules.toStateDict(new CifarQuick(ConvFactory.plain(), 1, 5, 32));
        IllegalArgumentException foreign = assertThrows(
                IllegalArgumentException.class,
                () -> Reparameterization.loadBasis(target, second, otherModel, "other.safetensors"));
        String msg = foreign.getMessage();
        assertTrue(msg.contains("conv1.weight") && msg.contains("fc2.weight") && msg.contains("fc2.bias"), msg);
    }
}
