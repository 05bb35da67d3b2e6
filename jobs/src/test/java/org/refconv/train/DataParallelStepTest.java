package org.refconv.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.refconv.dist.Collectives;
import org.refconv.dist.GradientSync;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.RefocusKernel;
import org.refconv.engine.Tensors;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.Linear;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.CifarQuick;
import org.refconv.models.Classifier;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Synchronous data parallelism is exact: 2 ranks x batch B/2 make the same update as 1 rank x batch B (a model
 * without BatchNorm), and the ranks' parameters stay identical, whether gradients are averaged after backward or
 * during it (DDP's Reducer).
 */
class DataParallelStepTest {

    private static final int BATCH = 8;
    private static final int STEPS = 3;
    private static final long[] LABELS = {0, 1, 2, 3, 4, 5, 6, 7};

    @ParameterizedTest
    @EnumSource(GradientSync.Mode.class)
    void twoRanksOfHalfTheBatchEqualOneRankOfTheWholeBatch(GradientSync.Mode mode) throws Exception {
        float[] images = images();
        List<float[]> one = LocalRanks.run(1, c -> train(c, images, mode, STEPS));
        List<float[]> two = LocalRanks.run(2, c -> train(c, images, mode, STEPS));
        float[] single = one.get(0);
        assertEquals(0.0, maxDiff(two.get(0), two.get(1)), "ranks must hold identical parameters");
        assertClose(single, two.get(0), "2 x B/2 vs 1 x B");
        // The parameters really moved: the comparison is not between two untouched inits.
        float[] init = initialParameters();
        assertTrue(maxDiff(init, single) > 1e-4);
    }

    /**
     * The same with a refocused model whose dense 3x3 convs take the fused transform: the ranks average dWt and turn
     * it into dWr after backward, which must give 1 rank x B's update, and that of libtorch's autograd transform.
     */
    @ParameterizedTest
    @EnumSource(GradientSync.Mode.class)
    void refocusedTwoRanksOfHalfTheBatchEqualOneRankOfTheWholeBatch(GradientSync.Mode mode) throws Exception {
        float[] images = images();
        List<float[]> one = LocalRanks.run(1, c -> train(c, images, mode, STEPS, ComputeTurns.NONE, true, true));
        List<float[]> two = LocalRanks.run(2, c -> train(c, images, mode, STEPS, ComputeTurns.NONE, true, true));
        List<float[]> autograd = LocalRanks.run(1, c -> train(c, images, mode, STEPS, ComputeTurns.NONE, true, false));
        assertEquals(0.0, maxDiff(two.get(0), two.get(1)), "ranks must hold identical parameters");
        assertClose(one.get(0), two.get(0), "refocused, 2 x B/2 vs 1 x B");
        assertClose(autograd.get(0), one.get(0), "fused vs libtorch's refocusing transform");
        assertTrue(maxDiff(initialParameters(true), one.get(0)) > 1e-4);
    }

    @Test
    void ranksTakingTurnsAtComputeTrainLikeOneRankOfTheWholeBatch() throws Exception {
        // Two ranks in one JVM, as Spark local mode places them: they take turns at forward and backward.
        float[] images = images();
        float[] single = LocalRanks.run(1, c -> train(c, images, GradientSync.Mode.BLOCKING, STEPS, ComputeTurns.NONE))
                .get(0);
        List<float[]> two =
                LocalRanks.run(2, c -> train(c, images, GradientSync.Mode.BLOCKING, STEPS, ComputeTurns.EXCLUSIVE));
        assertEquals(0.0, maxDiff(two.get(0), two.get(1)), "ranks must hold identical parameters");
        assertClose(single, two.get(0), "2 x B/2 taking turns vs 1 x B");
    }

    @Test
    void overlappedAveragingTrainsLikeBlockingAveraging() throws Exception {
        // More steps than the Reducer's first one, after which it re-buckets by the order gradients became ready.
        int steps = 6;
        float[] images = images();
        List<float[]> blocking = LocalRanks.run(2, c -> train(c, images, GradientSync.Mode.BLOCKING, steps));
        List<float[]> overlapped = LocalRanks.run(2, c -> train(c, images, GradientSync.Mode.OVERLAPPED, steps));
        assertEquals(0.0, maxDiff(overlapped.get(0), overlapped.get(1)), "ranks must hold identical parameters");
        // Not bit-identical: the Reducer divides by the world size before summing, the blocking path after.
        assertClose(blocking.get(0), overlapped.get(0), "overlapped vs blocking after " + steps + " steps");
    }

    /**
     * An attempt resized to fewer executors than ranks: each executor accumulates its logical ranks' micro-batches
     * (4 logical ranks on 1 or 2 executors) and makes the update of 1 rank x B, fused RefConv layers included.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void executorsAccumulatingLogicalRanksMakeTheUpdateOfTheWholeBatch(boolean refocused) throws Exception {
        float[] images = images();
        float[] whole = LocalRanks.run(
                        1, c -> train(c, images, GradientSync.Mode.BLOCKING, STEPS, ComputeTurns.NONE, refocused, true))
                .get(0);
        for (int executors : new int[] {1, 2}) {
            List<float[]> got = LocalRanks.run(executors, c -> trainAccumulated(c, images, 4, refocused));
            assertEquals(0.0, maxDiff(got.get(0), got.get(got.size() - 1)), "executors must hold identical parameters");
            assertClose(whole, got.get(0), executors + " executors x 4 logical ranks vs 1 x B");
        }
        assertTrue(maxDiff(initialParameters(refocused), whole) > 1e-4);
    }

    /** Steps over this executor's logical ranks (contiguous shares of the batch), accumulated. */
    private static float[] trainAccumulated(Collectives c, float[] images, int ranks, boolean refocused) {
        Engine.setThreads(1);
        Refocuser refocuser = refocused ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT) : null;
        Classifier model = model(refocuser, true);
        DeferredGradients deferred = DeferredGradients.of(refocuser);
        Map<String, Tensor> params = Modules.trainableParameters(model);
        Sgd sgd = new Sgd(params, 0.05, 0.9, 4e-5);
        LogicalRanks logical = new LogicalRanks(c.rank(), c.worldSize(), ranks);
        int share = BATCH / ranks;
        int px = 3 * 32 * 32;
        try (GradientSync gradients = new org.refconv.dist.BlockingGradientSync(
                c, new ArrayList<>(params.values()), 4096, ComputeTurns.NONE)) {
            TrainStep step = new TrainStep(model, sgd, gradients, deferred, ComputeTurns.NONE);
            for (int s = 0; s < STEPS; s++) {
                List<Tensor> x = new ArrayList<>();
                List<Tensor> y = new ArrayList<>();
                for (int r : logical.owned()) {
                    float[] xs = new float[share * px];
                    System.arraycopy(images, r * share * px, xs, 0, xs.length);
                    long[] ys = new long[share];
                    System.arraycopy(LABELS, r * share, ys, 0, share);
                    x.add(Tensors.fromFloats(xs, share, 3, 32, 32));
                    y.add(Tensors.fromLongs(ys, share));
                }
                step.runAccumulated(x, y, logical.lossScale(), 0.05);
            }
        }
        return flatten(model);
    }

    private static float[] images() {
        float[] images = new float[BATCH * 3 * 32 * 32];
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) rnd.nextGaussian();
        }
        return images;
    }

    private static void assertClose(float[] want, float[] got, String what) {
        double scale = 0;
        for (float v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        double relative = maxDiff(want, got) / scale;
        assertTrue(relative < 1e-5, what + ": relative difference " + relative);
    }

    /** Steps of SGD on this rank's contiguous share of the batch; returns all parameters flattened. */
    private static float[] train(Collectives c, float[] images, GradientSync.Mode mode, int steps) {
        return train(c, images, mode, steps, ComputeTurns.NONE);
    }

    private static float[] train(Collectives c, float[] images, GradientSync.Mode mode, int steps, ComputeTurns turns) {
        return train(c, images, mode, steps, turns, false, false);
    }

    private static float[] train(
            Collectives c,
            float[] images,
            GradientSync.Mode mode,
            int steps,
            ComputeTurns turns,
            boolean refocused,
            boolean fused) {
        Engine.setThreads(1);
        Refocuser refocuser = refocused ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT) : null;
        Classifier model = model(refocuser, fused);
        DeferredGradients deferred = DeferredGradients.of(refocuser);
        assertEquals(refocused && fused && RefocusKernel.available() ? 2 : 0, deferred.size());
        Map<String, Tensor> params = Modules.trainableParameters(model);
        Sgd sgd = new Sgd(params, 0.05, 0.9, 4e-5);
        int share = BATCH / c.worldSize();
        int px = 3 * 32 * 32;
        float[] x = new float[share * px];
        System.arraycopy(images, c.rank() * share * px, x, 0, x.length);
        long[] y = new long[share];
        System.arraycopy(LABELS, c.rank() * share, y, 0, share);
        try (GradientSync gradients = GradientSync.create(
                mode,
                GradientSync.Compression.NONE,
                c,
                deferred.syncTargets(new ArrayList<>(params.values())),
                4096,
                turns)) {
            TrainStep step = new TrainStep(model, sgd, gradients, deferred, turns);
            for (int s = 0; s < steps; s++) {
                step.run(Tensors.fromFloats(x, share, 3, 32, 32), Tensors.fromLongs(y, share), 0.05);
            }
        }
        return flatten(model);
    }

    /** Cifar-quick, or for refocused runs two dense 3x3 convs (the fused transform's shape) and a head. */
    private static Classifier model(Refocuser refocuser, boolean fused) {
        synchronized (DataParallelStepTest.class) {
            Engine.manualSeed(99); // the same init on every rank and in every run
            if (refocuser == null) {
                return new CifarQuick(ConvFactory.plain(), 3, 10, 32);
            }
            // Whether a RefConv layer may use the fused transform is decided when it is built.
            Classifier m = RefocusKernel.withFusedTransform(fused, () -> new TwoDenseConvs(refocuser));
            try (NoGrad ignored = NoGrad.enter()) { // a basis to refocus (RefConv's starts as zeros)
                refocuser
                        .layers()
                        .values()
                        .forEach(l -> l.basisWeight()
                                .copy_(Tensors.randn(Tensors.shape(l.basisWeight()))
                                        .mul(new Scalar(0.3))));
            }
            return m;
        }
    }

    private static float[] initialParameters() {
        return initialParameters(false);
    }

    private static float[] initialParameters(boolean refocused) {
        return flatten(model(refocused ? new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT) : null, true));
    }

    /** No BatchNorm, so that 2 x B/2 and 1 x B are the same computation. */
    private static final class TwoDenseConvs extends Classifier {
        private final ConvLayer conv1;
        private final ConvLayer conv2;
        private final Linear fc;

        TwoDenseConvs(ConvFactory convs) {
            conv1 = convs.create(Conv2dSpec.of("conv1", 3, 16, 3, 2, 1, 1, false), true);
            register_module("conv1", conv1.module());
            conv2 = convs.create(Conv2dSpec.of("conv2", 16, 32, 3, 2, 1, 1, false));
            register_module("conv2", conv2.module());
            fc = register_module("fc", new Linear(32, 10));
        }

        @Override
        public Tensor forward(Tensor x) {
            x = Ops.relu(conv2.forward(Ops.relu(conv1.forward(x))));
            return fc.forward(Ops.flatten(Ops.adaptiveAvgPool2d(x, 1, 1), 1));
        }
    }

    /** Every trainable parameter's values, one after another in state_dict order. */
    private static float[] flatten(Classifier model) {
        return LossScaledStepTest.flatten(Modules.trainableParameters(model));
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
