package org.refconv.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Autocast;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.CifarQuick;
import org.refconv.models.Classifier;
import org.refconv.optim.LossScaler;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step sequence a trainer runs in bf16, by two Gloo ranks sharing a JVM (one thread each, autocast being per
 * thread): autocast forward, fp32 loss, (disabled) loss scaling, backward, gradient all-reduce in fp32, step. The ranks
 * see different data and must end bit-identical; what the steps changed must differ from the fp32 run's (bf16 was
 * used) by rounding only: measured 0.0028 norm-wise, tolerance TOLERANCE.
 */
class MixedPrecisionRanksTest {

    private static final double TOLERANCE = 0.02;

    /** What 3 steps changed in the model's fp32 state (parameters and buffers), on this rank. */
    private static float[] train(Collectives c, Precision precision) {
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        Classifier model;
        synchronized (MixedPrecisionRanksTest.class) {
            Engine.manualSeed(23); // the same init on both ranks
            model = new CifarQuick(refocuser, 3, 10, 16);
            try (NoGrad ignored = NoGrad.enter()) {
                refocuser
                        .layers()
                        .values()
                        .forEach(l -> l.basisWeight()
                                .copy_(Tensors.randn(Tensors.shape(l.basisWeight()))
                                        .mul(new org.bytedeco.pytorch.Scalar(0.05))));
            }
        }
        model.train(true);
        float[] before = floatState(model);
        Map<String, Tensor> params = Modules.trainableParameters(model);
        DeferredGradients deferred = DeferredGradients.of(refocuser);
        BlockingGradientSync averager = new BlockingGradientSync(
                c, deferred.syncTargets(new ArrayList<>(params.values())), 1 << 16, ComputeTurns.EXCLUSIVE);
        Sgd sgd = new Sgd(params, 0.01, 0.9, 1e-4);
        LossScaler scaler = LossScaler.forPrecision(precision);
        for (int step = 0; step < 3; step++) {
            Tensor x;
            synchronized (MixedPrecisionRanksTest.class) {
                Engine.manualSeed(100 + 10 * step + c.rank()); // each rank its own batch
                x = Tensors.randn(4, 3, 16, 16);
            }
            Tensor y = Tensors.fromLongs(new long[] {c.rank(), 1, 2, 3}, 4);
            sgd.zeroGrad();
            try (ComputeTurns.Turn turn = ComputeTurns.EXCLUSIVE.take()) {
                Tensor logits;
                try (Autocast ignored = Autocast.enter(precision, Device.CPU)) {
                    logits = model.forward(x);
                }
                scaler.scale(Ops.crossEntropy(Autocast.toFloat(logits), y)).backward();
            }
            List<Tensor> grads = deferred.syncTargets(new ArrayList<>(params.values())).stream()
                    .map(Tensor::grad)
                    .toList();
            boolean skip = scaler.unscaleAndCheck(grads, c);
            if (!skip) {
                averager.average();
                deferred.apply();
                sgd.step();
            }
            scaler.update(skip);
        }
        float[] after = floatState(model);
        for (int i = 0; i < after.length; i++) {
            after[i] -= before[i];
        }
        return after;
    }

    /** Every fp32 value of the model's state, in state_dict order. */
    private static float[] floatState(Classifier model) {
        List<Float> all = new ArrayList<>();
        Modules.stateDict(model).forEach((k, v) -> {
            if (v.scalar_type().intern() == org.bytedeco.pytorch.global.torch.ScalarType.Float) {
                for (float f : Tensors.toFloats(v)) {
                    all.add(f);
                }
            }
        });
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    @Test
    void bf16RanksStayBitIdenticalAndCloseToFp32() throws Exception {
        List<float[]> bf16 = LocalRanks.run(2, c -> train(c, Precision.BF16));
        List<float[]> fp32 = LocalRanks.run(2, c -> train(c, Precision.FP32));
        assertArrayEquals(bf16.get(0), bf16.get(1), "bf16 ranks diverged");
        assertArrayEquals(fp32.get(0), fp32.get(1), "fp32 ranks diverged");
        double num = 0;
        double den = 0;
        for (int i = 0; i < bf16.get(0).length; i++) {
            num += Math.pow(bf16.get(0)[i] - fp32.get(0)[i], 2);
            den += Math.pow(fp32.get(0)[i], 2);
        }
        double err = Math.sqrt(num / den);
        System.out.printf("2 ranks, 3 steps: bf16 vs fp32 update of the state, norm-wise %.2e%n", err);
        assertFalse(err == 0, "bf16 must round differently from fp32");
        assertTrue(err < TOLERANCE, "bf16 update off by " + err);
    }
}
