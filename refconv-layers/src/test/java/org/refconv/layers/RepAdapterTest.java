package org.refconv.layers;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.refconv.testing.TestTensors.assertClose;

/** Rep-Adapter layers: the merged conv/linear equals the two-branch layer in eval mode; what trains; a hand case. */
class RepAdapterTest {

    static Stream<Conv2dSpec> specs() {
        return Stream.of(
                Conv2dSpec.of("dense", 8, 16, 3, 1, 1, 1, false),
                Conv2dSpec.of("dense_bias_stride2", 6, 4, 3, 2, 1, 1, true),
                Conv2dSpec.of("depthwise", 12, 12, 3, 1, 1, 12, false),
                Conv2dSpec.of("grouped_5x5", 8, 12, 5, 1, 2, 4, false),
                new Conv2dSpec("dilated", 4, 4, 3, 3, 1, 2, 2, 1, false));
    }

    /** Random W0 loaded as the basis, then everything the method trains moved away from its init. */
    private static RepAdapterConv2d trainedLayer(Conv2dSpec spec) {
        RepAdapterConv2d layer = new RepAdapterConv2d(spec, RepAdapterOptions.DEFAULT);
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(Tensors.randn(spec.weightShape()));
            layer.basisLoaded(null);
            layer.tunedWeight().add_(Tensors.randn(spec.weightShape()).mul(new Scalar(0.3)));
            for (Map.Entry<String, Tensor> e : Modules.stateDict(layer).entrySet()) {
                String k = e.getKey();
                if (k.endsWith("running_var")) {
                    e.getValue().copy_(Tensors.randn(spec.outChannels()).abs().add(new Scalar(0.5)));
                } else if (k.endsWith("_bn.weight")
                        || k.endsWith("_bn.bias")
                        || k.endsWith("running_mean")
                        || k.equals("bias")) {
                    e.getValue().copy_(Tensors.randn(spec.outChannels()));
                }
            }
        }
        layer.eval();
        return layer;
    }

    @ParameterizedTest
    @MethodSource("specs")
    void mergedConvEqualsTheTwoBranchesInEvalMode(Conv2dSpec spec) {
        Engine.manualSeed(31);
        RepAdapterConv2d layer = trainedLayer(spec);
        Conv2d merged = layer.toPlain();
        assertEquals(
                List.of(spec.weightShape()[0], spec.weightShape()[1], spec.weightShape()[2], spec.weightShape()[3]),
                List.of(
                        Tensors.shape(merged.weight())[0],
                        Tensors.shape(merged.weight())[1],
                        Tensors.shape(merged.weight())[2],
                        Tensors.shape(merged.weight())[3]),
                "original weight shape");
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = Tensors.randn(2, spec.inChannels(), 11, 11);
            Tensor y = layer.forward(x);
            assertClose(merged.forward(x), y, 1e-5, spec.name());
            // The branches really differ and the BNs are not identities: the merge has something to do.
            Tensor frozenOnly = Ops.conv2d(
                    x, layer.basisWeight(), null, spec.strides(), spec.paddings(), spec.dilations(), spec.groups());
            assertTrue(Ops.maxAbsDiff(frozenOnly, y) > 0.1 * Ops.maxAbs(y), spec.name());
        }
    }

    @Test
    void onlyTheTunedBranchAndTheScalesGetGradients() {
        Engine.manualSeed(32);
        Conv2dSpec spec = Conv2dSpec.of("c", 3, 4, 3, 1, 1, 1, true);
        RepAdapterConv2d layer = new RepAdapterConv2d(spec, RepAdapterOptions.DEFAULT);
        layer.train(true);
        Ops.mul(layer.forward(Tensors.randn(2, 3, 6, 6)), Tensors.randn(2, 4, 6, 6))
                .sum()
                .backward();
        Map<String, Tensor> state = Modules.stateDict(layer);
        assertFalse(state.get("weight").requires_grad(), "W0 is a frozen buffer");
        for (String k : List.of(
                "bias", "tuned.weight", "frozen_bn.weight", "frozen_bn.bias", "tuned_bn.weight", "tuned_bn.bias")) {
            assertTrue(state.get(k).grad().defined(), k);
        }
        assertEquals(Modules.trainableParameters(layer).size(), 6);
        assertTrue(layer.addedKeys()
                .containsAll(List.of("tuned.weight", "frozen_bn.running_var", "tuned_bn.num_batches_tracked")));
        assertFalse(layer.addedKeys().contains("weight") || layer.addedKeys().contains("bias"));
    }

    /**
     * One 3x3 kernel on one 3x3 input without padding gives one number: by hand, conv = sum(W0 * x) = 45 and
     * sum(W1 * x) = 9 for W0 = 1..9 / 5 and W1 = 0.2 everywhere with x = 1..9 / 9 ... computed below in doubles.
     */
    @Test
    void evalOutputMatchesAHandComputation() {
        Conv2dSpec spec = Conv2dSpec.of("hand", 1, 1, 3, 1, 0, 1, false);
        RepAdapterConv2d layer = new RepAdapterConv2d(spec, RepAdapterOptions.DEFAULT);
        float[] w0 = new float[9];
        float[] x = new float[9];
        double conv0 = 0;
        double conv1 = 0;
        for (int i = 0; i < 9; i++) {
            w0[i] = (i + 1) / 5f;
            x[i] = (i + 1) / 9f;
            conv0 += (double) w0[i] * x[i];
            conv1 += 0.2 * x[i];
        }
        // BN eval: (z - mean) / sqrt(var + eps) * gamma + beta, with gamma = 0.5 (the default scale init).
        double expected =
                (conv0 - 0.25) / Math.sqrt(4 + 1e-5) * 0.5 + 0.1 + (conv1 - (-1)) / Math.sqrt(0.25 + 1e-5) * 0.5 - 0.3;
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(Tensors.fromFloats(w0, 1, 1, 3, 3));
            layer.tunedWeight().fill_(new Scalar(0.2));
            Map<String, Tensor> s = Modules.stateDict(layer);
            s.get("frozen_bn.running_mean").fill_(new Scalar(0.25));
            s.get("frozen_bn.running_var").fill_(new Scalar(4.0));
            s.get("frozen_bn.bias").fill_(new Scalar(0.1));
            s.get("tuned_bn.running_mean").fill_(new Scalar(-1.0));
            s.get("tuned_bn.running_var").fill_(new Scalar(0.25));
            s.get("tuned_bn.bias").fill_(new Scalar(-0.3));
            layer.eval();
            Tensor in = Tensors.fromFloats(x, 1, 1, 3, 3);
            assertEquals(expected, Tensors.toFloats(layer.forward(in))[0], 1e-5);
            assertEquals(expected, Tensors.toFloats(layer.toPlain().forward(in))[0], 1e-5);
        }
    }

    @Test
    void mergedLinearEqualsTheTwoBranchesAndStartsAsThePretrainedLayer() {
        Engine.manualSeed(33);
        RepAdapterLinear layer = new RepAdapterLinear(7, 5, RepAdapterOptions.DEFAULT);
        Linear pretrained = new Linear(7, 5);
        Tensor x = Tensors.randn(3, 7);
        try (NoGrad ignored = NoGrad.enter()) {
            layer.basisWeight().copy_(pretrained.weight());
            layer.basisBias().copy_(pretrained.bias());
            layer.basisLoaded();
            assertClose(layer.forward(x), pretrained.forward(x), 1e-6, "scales 0.5 + 0.5, tuned = copy: unchanged");
            for (Map.Entry<String, Tensor> e : Modules.stateDict(layer).entrySet()) {
                if (e.getKey().startsWith("tuned.") || e.getKey().startsWith("scale_")) {
                    e.getValue().add_(Tensors.randn(Tensors.shape(e.getValue())).mul(new Scalar(0.5)));
                }
            }
            Tensor y = layer.forward(x);
            assertTrue(Ops.maxAbsDiff(y, pretrained.forward(x)) > 0.05, "moved away from the pretrained layer");
            Linear merged = layer.toPlain();
            assertClose(merged.forward(x), y, 1e-5, "merged linear");
        }
        Map<String, Tensor> trainable = Modules.trainableParameters(layer);
        // state_dict order: own parameters first, then the child's.
        assertEquals(
                List.of("scale_frozen", "scale_tuned", "tuned.weight", "tuned.bias"), List.copyOf(trainable.keySet()));
        assertNotNull(Modules.stateDict(layer).get("bias"));
    }

    @Test
    void scaleInitMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new RepAdapterOptions(0));
        assertThrows(IllegalArgumentException.class, () -> new RepAdapterOptions(Double.NaN));
    }
}
