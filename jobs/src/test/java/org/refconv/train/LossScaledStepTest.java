package org.refconv.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.dist.BlockingGradientSync;
import org.refconv.dist.Collectives;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Precision;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.models.CifarQuick;
import org.refconv.optim.LossScaler;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trainer's step with fp16's dynamic loss scaling (GPU-only in a run, so driven here with bf16 autocast on the
 * CPU): an inf injected into one rank's batch makes every rank skip the step (parameters and momentum untouched)
 * and halve the scale, and the run then continues exactly as if that step had never been (the reference: the same
 * finite steps without any loss scaling).
 */
class LossScaledStepTest {

    private static final int SHARE = 2;
    private static final double LR = 0.05;

    /** One rank's record: parameters and momentum after each step, the scale and skip count at the end. */
    private record Trace(List<float[]> parameters, List<float[]> momentum, double scale, long skipped) {}

    private static float[] batch(int rank, int step, boolean inf) {
        float[] x = new float[SHARE * 3 * 32 * 32];
        java.util.SplittableRandom random = new java.util.SplittableRandom(1000L * step + rank);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        if (inf) {
            x[77] = Float.POSITIVE_INFINITY; // as an fp16 overflow in the forward would produce
        }
        return x;
    }

    /** Runs {@code injectAt.length} steps; a step whose entry is true feeds rank 1 an inf. */
    private static Trace train(Collectives c, LossScaler scaler, boolean... injectAt) {
        Engine.setThreads(1);
        CifarQuick model;
        synchronized (LossScaledStepTest.class) {
            Engine.manualSeed(41); // the same init on both ranks and in both runs
            model = new CifarQuick(ConvFactory.plain(), 3, 10, 32); // no BatchNorm: an inf leaves no statistics behind
        }
        Map<String, Tensor> params = Modules.trainableParameters(model);
        Sgd sgd = new Sgd(params, LR, 0.9, 4e-5);
        List<float[]> parameters = new ArrayList<>();
        List<float[]> momentum = new ArrayList<>();
        try (BlockingGradientSync sync =
                new BlockingGradientSync(c, new ArrayList<>(params.values()), 1 << 20, ComputeTurns.EXCLUSIVE)) {
            StepPrecision precision = new StepPrecision(Precision.BF16, Device.CPU, scaler, c);
            TrainStep step =
                    new TrainStep(model, sgd, sync, DeferredGradients.of(null), ComputeTurns.EXCLUSIVE, precision);
            int finite = 0;
            for (boolean inf : injectAt) {
                float[] x = batch(c.rank(), inf ? -1 : finite++, inf && c.rank() == 1);
                step.run(
                        Tensors.fromFloats(x, SHARE, 3, 32, 32),
                        Tensors.fromLongs(new long[] {c.rank(), 5}, SHARE),
                        LR);
                parameters.add(flatten(params));
                momentum.add(flatten(sgd.state()));
            }
        }
        return new Trace(parameters, momentum, scaler.scale(), scaler.skippedSteps());
    }

    /** The tensors' values one after another, in the map's order. */
    static float[] flatten(Map<String, Tensor> tensors) {
        List<float[]> parts = tensors.values().stream().map(Tensors::toFloats).toList();
        float[] out = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void anInjectedInfSkipsTheStepOnEveryRankAndTheRunGoesOnAsWithoutIt() throws Exception {
        List<Trace> scaled = LocalRanks.run(2, c -> train(c, new LossScaler(1024, 2, 0.5, 100), false, true, false));
        List<Trace> unscaled = LocalRanks.run(2, c -> train(c, LossScaler.disabled(), false, false));
        for (Trace t : scaled) {
            assertEquals(512.0, t.scale(), "one overflow halves 1024");
            assertEquals(1, t.skipped());
            assertArrayEquals(t.parameters().get(0), t.parameters().get(1), "the skipped step left the parameters");
            assertArrayEquals(t.momentum().get(0), t.momentum().get(1), "and the momentum untouched");
            assertTrue(Float.isFinite(t.parameters().get(2)[0]), "no inf or NaN reached the parameters");
        }
        assertArrayEquals(
                scaled.get(0).parameters().get(2), scaled.get(1).parameters().get(2), "ranks identical");
        // The scale is a power of two, so scaling and unscaling are exact: the finite steps match the unscaled run's.
        float[] want = unscaled.get(0).parameters().get(1);
        float[] got = scaled.get(0).parameters().get(2);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
            norm = Math.max(norm, Math.abs(want[i]));
        }
        assertTrue(diff <= 1e-6 * norm, "after the skip, off the unscaled run by " + diff);
        float[] start = unscaled.get(0).parameters().get(0);
        assertTrue(!java.util.Arrays.equals(want, start), "the finite steps moved the parameters");
    }
}
