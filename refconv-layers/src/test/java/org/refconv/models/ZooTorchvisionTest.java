package org.refconv.models;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.MemoryFormat;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** Every zoo model against torchvision: state_dict keys and shapes, and outputs on torchvision's weights. */
class ZooTorchvisionTest {

    /** Float32 here vs float64 in the oracle, through up to ~50 layers. */
    private static final double TOL = 1e-4;

    static Iterable<String> models() {
        return ModelZoo.names();
    }

    static int imageSize(String model) {
        return model.equals("cifar_quick") || model.equals("resnet18_small") ? 32 : 64;
    }

    @ParameterizedTest
    @MethodSource("models")
    void stateDictKeysAndShapesAreTorchvisions(String model) throws IOException {
        Map<String, String> want = ZooFixtures.keys(model);
        Classifier m = ModelZoo.create(model, ConvFactory.plain(), 3, 10, imageSize(model));
        Map<String, String> got = new LinkedHashMap<>();
        Modules.stateDict(m)
                .forEach((k, v) -> got.put(
                        k,
                        Arrays.stream(Tensors.shape(v)).mapToObj(Long::toString).collect(Collectors.joining(","))));
        assertEquals(String.join("\n", want.keySet()), String.join("\n", got.keySet()), model + ": keys in order");
        assertEquals(want, got, model + ": shapes");
    }

    @ParameterizedTest
    @MethodSource("models")
    void evalForwardEqualsTorchvision(String model) throws IOException {
        StateDict weights = ZooFixtures.weights(model);
        StateDict io = ZooFixtures.io(model);
        Classifier m = ModelZoo.create(model, ConvFactory.plain(), 3, 10, imageSize(model));
        Modules.load(m, weights, true);
        m.train(false);
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = Tensors.fromHost(io.get("input"));
            assertClose(m.forward(x), Tensors.fromHost(io.get("output")), TOL, model + " eval output");
            // The train job feeds channels-last batches by default: same output, other strides all the way through.
            Tensor nhwc = MemoryFormat.CHANNELS_LAST.apply(x);
            assertTrue(MemoryFormat.CHANNELS_LAST.isLayoutOf(nhwc) && !MemoryFormat.CONTIGUOUS.isLayoutOf(nhwc));
            assertClose(
                    m.forward(nhwc), Tensors.fromHost(io.get("output")), TOL, model + " eval output, channels last");
        }
    }

    /** Training mode: batch statistics in the output, running statistics and the batch counter updated like PyTorch. */
    @ParameterizedTest
    @MethodSource("models")
    void trainForwardAndRunningStatisticsEqualTorchvision(String model) throws IOException {
        StateDict io = ZooFixtures.io(model);
        if (!io.contains("train_output")) {
            return; // dropout (MobileNets) or no BatchNorm (Cifar-quick): nothing deterministic to compare
        }
        Classifier m = ModelZoo.create(model, ConvFactory.plain(), 3, 10, imageSize(model));
        Modules.load(m, ZooFixtures.weights(model), true);
        m.train(true);
        try (NoGrad ignored = NoGrad.enter()) {
            assertClose(
                    m.forward(MemoryFormat.CHANNELS_LAST.apply(Tensors.fromHost(io.get("input")))),
                    Tensors.fromHost(io.get("train_output")),
                    TOL,
                    model + " train output, channels-last input");
        }
        Map<String, Tensor> state = Modules.stateDict(m);
        int checked = 0;
        for (String key : io.keys()) {
            if (key.startsWith("train_state.")) {
                String name = key.substring("train_state.".length());
                Tensor want = Tensors.fromHost(io.get(key));
                if (name.endsWith("num_batches_tracked")) {
                    assertEquals(Tensors.toLongs(want)[0], Tensors.toLongs(state.get(name))[0], name);
                } else {
                    assertClose(state.get(name), want, 1e-5, name);
                }
                checked++;
            }
        }
        assertEquals(3, checked, "running mean, running var and the batch counter");
    }

    @Test
    void unknownModelListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ModelZoo.create("resnet19", ConvFactory.plain(), 3, 10, 224));
        assertTrue(
                e.getMessage().contains("resnet19")
                        && e.getMessage().contains("resnet18, resnet34, resnet50")
                        && e.getMessage().contains("mobilenet_v3_small"),
                e.getMessage());
    }

    @Test
    void inputChannelsAndClassesChangeOnlyTheStemAndHead() {
        Map<String, Tensor> rgb =
                Modules.stateDict(ModelZoo.create("mobilenet_v3_small", ConvFactory.plain(), 3, 10, 64));
        Map<String, Tensor> grey =
                Modules.stateDict(ModelZoo.create("mobilenet_v3_small", ConvFactory.plain(), 1, 7, 64));
        assertEquals(rgb.keySet(), grey.keySet());
        rgb.forEach((k, v) -> {
            long[] a = Tensors.shape(v);
            long[] b = Tensors.shape(grey.get(k));
            boolean changed = !Arrays.equals(a, b);
            boolean expected = k.equals("features.0.0.weight") || k.startsWith("classifier.3.");
            assertEquals(expected, changed, k + ": " + Arrays.toString(a) + " vs " + Arrays.toString(b));
        });
        try (NoGrad ignored = NoGrad.enter()) {
            Classifier m = ModelZoo.create("resnet18_small", ConvFactory.plain(), 1, 7, 28);
            m.train(false);
            assertEquals("[2, 7]", Arrays.toString(Tensors.shape(m.forward(Tensors.randn(2, 1, 28, 28)))));
        }
    }
}
