package org.refconv.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.refconv.engine.Autocast;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConvOptions;
import org.refconv.layers.RepAdapterOptions;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;
import org.refconv.reparam.RepAdapters;
import org.refconv.reparam.ReparamConvFactory;
import org.refconv.reparam.Reparameterization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bf16 autocast on every zoo model, plain and refocused (and Rep-Adapter on two small ones), against the same model
 * in fp32: logits and the gradients of every trainable parameter. Errors are norm-wise, |a - b| / |b| over the whole
 * tensor (all gradients as one vector). bf16 keeps 8 significant bits (relative rounding 2^-9); measured here at 16 px
 * batch 2: logits within 0.023 and gradients within 0.15 for every model and variant (32 px: 0.021 and 0.13), hence
 * the tolerances LOGITS_TOL and GRADS_TOL. Gradients are further off than logits because at a random init they are
 * sums of terms of both signs that mostly cancel. BatchNorm runs in eval mode for this comparison: in training mode a
 * batch of 2 at 16 px leaves ImageNet models' last stages 1 x 1 maps, whose batch statistics over two values turn any
 * rounding into an O(1) difference (a property of the test's shapes, not of bf16). The step test covers training mode.
 */
class ZooMixedPrecisionTest {

    private static final int SIZE = 16;
    private static final int BATCH = 2;
    private static final double LOGITS_TOL = 0.05;
    private static final double GRADS_TOL = 0.3;

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (String model : ModelZoo.names()) {
            list.add(Arguments.of(model, "plain"));
            list.add(Arguments.of(model, "refconv"));
        }
        list.add(Arguments.of("cifar_quick", "repadapter"));
        list.add(Arguments.of("mobilenet_v3_small", "repadapter"));
        return list.stream();
    }

    /** A model and what its training step needs: plain, or refocused / adapted from a plain basis of the same seed. */
    private record Built(Classifier model, DeferredGradients deferred) {}

    private static Built build(String model, String variant) {
        Engine.manualSeed(17);
        Classifier plain = ModelZoo.create(model, ConvFactory.plain(), 3, 10, SIZE);
        if (variant.equals("plain")) {
            return new Built(plain, DeferredGradients.NONE);
        }
        ReparamConvFactory<?> factory = variant.equals("refconv")
                ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT)
                : new RepAdapters(RefocusRule.ALL, RepAdapterOptions.DEFAULT);
        Classifier twin = ModelZoo.create(model, factory, 3, 10, SIZE);
        Reparameterization.loadBasis(twin, factory, Modules.toStateDict(plain), model);
        return new Built(twin, factory instanceof Refocuser r ? DeferredGradients.of(r) : DeferredGradients.NONE);
    }

    /** |a - b| / |b| over the concatenation of the pairs. */
    static double normwise(List<Tensor> actual, List<Tensor> reference) {
        double num = 0;
        double den = 0;
        try (NoGrad ignored = NoGrad.enter()) {
            for (int i = 0; i < actual.size(); i++) {
                Tensor a = Autocast.toFloat(actual.get(i));
                num += Math.pow(a.sub(reference.get(i)).norm().item_double(), 2);
                den += Math.pow(reference.get(i).norm().item_double(), 2);
            }
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    /** Logits (as computed) and every trainable parameter's gradient after one forward + backward in a precision. */
    private static List<Tensor> forwardBackward(Built b, Tensor x, Tensor y, Precision precision) {
        Map<String, Tensor> params = Modules.trainableParameters(b.model());
        params.values().forEach(Tensors::dropGrad);
        Tensor logits;
        try (Autocast ignored = Autocast.enter(precision, Device.CPU)) {
            logits = b.model().forward(x);
        }
        Ops.crossEntropy(Autocast.toFloat(logits), y).backward();
        b.deferred().apply();
        List<Tensor> out = new ArrayList<>();
        out.add(logits.detach());
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor g = e.getValue().grad();
            assertTrue(g.defined(), e.getKey() + " has a gradient");
            assertEquals(ScalarType.Float, g.scalar_type().intern(), e.getKey() + "'s gradient is fp32");
            out.add(g.clone());
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void bf16ForwardAndGradientsAreCloseToFp32(String model, String variant) {
        Built b = build(model, variant);
        b.model().train(false);
        Engine.manualSeed(18);
        Tensor x = Tensors.randn(BATCH, 3, SIZE, SIZE);
        Tensor y = Tensors.fromLongs(new long[] {3, 7}, BATCH);
        List<Tensor> fp32 = forwardBackward(b, x, y, Precision.FP32);
        List<Tensor> bf16 = forwardBackward(b, x, y, Precision.BF16);
        assertEquals(ScalarType.BFloat16, bf16.get(0).scalar_type().intern(), "the forward ran under autocast");
        double logits = normwise(bf16.subList(0, 1), fp32.subList(0, 1));
        double grads = normwise(bf16.subList(1, bf16.size()), fp32.subList(1, fp32.size()));
        System.out.printf("bf16 vs fp32, %s %s: logits %.4f, gradients %.4f%n", model, variant, logits, grads);
        assertTrue(logits > 0, "bf16 rounding must show: was autocast on?");
        assertTrue(logits <= LOGITS_TOL, model + " " + variant + ": logits off by " + logits);
        assertTrue(grads <= GRADS_TOL, model + " " + variant + ": gradients off by " + grads);
    }

    /**
     * Training steps under autocast (BatchNorm in training mode, SGD with momentum) leave every parameter, buffer,
     * gradient and momentum buffer in its original dtype, and the running statistics track fp32's.
     */
    @Test
    void stepsUnderAutocastKeepMasterWeightsMomentumAndBatchNormStatisticsInFp32() {
        Map<String, Map<String, Tensor>> states = new LinkedHashMap<>();
        for (Precision precision : List.of(Precision.FP32, Precision.BF16)) {
            Built b = build("resnet18_small", "refconv");
            b.model().train(true);
            Map<String, ScalarType> before = new LinkedHashMap<>();
            Map<String, Tensor> initial = new LinkedHashMap<>();
            Modules.stateDict(b.model()).forEach((k, v) -> {
                before.put(k, v.scalar_type().intern());
                initial.put(k, v.clone());
            });
            Sgd sgd = new Sgd(Modules.trainableParameters(b.model()), 0.05, 0.9, 1e-4);
            Engine.manualSeed(19);
            Tensor x = Tensors.randn(4, 3, SIZE, SIZE);
            Tensor y = Tensors.fromLongs(new long[] {0, 1, 2, 3}, 4);
            for (int step = 0; step < 2; step++) {
                sgd.zeroGrad();
                Tensor logits;
                try (Autocast ignored = Autocast.enter(precision, Device.CPU)) {
                    logits = b.model().forward(x);
                }
                Ops.crossEntropy(Autocast.toFloat(logits), y).backward();
                b.deferred().apply();
                sgd.step();
            }
            Map<String, Tensor> after = Modules.stateDict(b.model());
            after.forEach((k, v) -> {
                assertEquals(before.get(k), v.scalar_type().intern(), precision + ": dtype of " + k);
                if (k.endsWith("running_mean") || k.endsWith("convmap.weight")) {
                    assertNotEquals(0.0, Ops.maxAbsDiff(v, initial.get(k)), precision + ": " + k + " was updated");
                }
            });
            assertTrue(before.containsValue(ScalarType.Float) && before.get("bn1.running_var") == ScalarType.Float);
            assertEquals(ScalarType.Long, before.get("bn1.num_batches_tracked"));
            assertTrue(!sgd.state().isEmpty());
            sgd.state()
                    .forEach((k, v) ->
                            assertEquals(ScalarType.Float, v.scalar_type().intern(), precision + ": momentum of " + k));
            states.put(precision.configName(), after);
        }
        List<Tensor> stats16 = new ArrayList<>();
        List<Tensor> stats32 = new ArrayList<>();
        states.get("bf16").forEach((k, v) -> {
            if (k.contains("running_")) {
                stats16.add(v);
                stats32.add(states.get("fp32").get(k));
            }
        });
        double err = normwise(stats16, stats32);
        System.out.printf("bf16 vs fp32 BatchNorm running statistics after 2 steps: %.4f%n", err);
        assertTrue(err > 0 && err < 0.05, "running statistics off by " + err);
    }
}
