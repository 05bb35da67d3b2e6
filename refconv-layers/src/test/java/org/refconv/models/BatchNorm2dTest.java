package org.refconv.models;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.layers.BatchNorm2d;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.refconv.testing.TestTensors.assertClose;

/** BatchNorm2d's state_dict, and its train/eval behaviour by PyTorch's formulas (the zoo tests check it vs torch). */
class BatchNorm2dTest {

    @Test
    void hasTorchsKeysAndInitialState() {
        Map<String, Tensor> s = Modules.stateDict(new BatchNorm2d(4));
        assertEquals(
                List.of("weight", "bias", "running_mean", "running_var", "num_batches_tracked"),
                List.copyOf(s.keySet()));
        assertEquals(0, s.get("num_batches_tracked").dim());
        assertEquals(0L, Tensors.toLongs(s.get("num_batches_tracked"))[0]);
        assertEquals(1.0, Tensors.toFloats(s.get("running_var"))[3]);
    }

    @Test
    void trainingUsesBatchStatisticsAndUpdatesRunningOnesEvalUsesThem() {
        Engine.manualSeed(9);
        BatchNorm2d bn = new BatchNorm2d(3, 1e-3, 0.25);
        Tensor x = Tensors.randn(4, 3, 5, 5).mul(new Scalar(2.0));
        try (NoGrad ignored = NoGrad.enter()) {
            bn.train(true);
            Tensor y = bn.forward(x);
            long[] dims = {0, 2, 3};
            Tensor mean = x.mean(dims);
            Tensor biased = x.sub(mean.view(1, 3, 1, 1)).pow(new Scalar(2)).mean(dims);
            Tensor expected = x.sub(mean.view(1, 3, 1, 1))
                    .div(biased.add(new Scalar(1e-3)).sqrt().view(1, 3, 1, 1));
            assertClose(y, expected, 1e-5, "train output");
            Map<String, Tensor> s = Modules.stateDict(bn);
            assertClose(s.get("running_mean"), mean.mul(new Scalar(0.25)), 1e-5, "running mean");
            // The running variance uses the unbiased estimate (n = 100 values per channel).
            Tensor unbiased = biased.mul(new Scalar(100.0 / 99));
            Tensor runningVar = unbiased.mul(new Scalar(0.25)).add(new Scalar(0.75));
            assertClose(s.get("running_var"), runningVar, 1e-5, "running var");
            assertEquals(1L, Tensors.toLongs(s.get("num_batches_tracked"))[0]);

            bn.train(false);
            Tensor evalOut = bn.forward(x);
            Tensor evalExpected = x.sub(s.get("running_mean").view(1, 3, 1, 1))
                    .div(s.get("running_var").add(new Scalar(1e-3)).sqrt().view(1, 3, 1, 1));
            assertClose(evalOut, evalExpected, 1e-5, "eval output");
            assertEquals(1L, Tensors.toLongs(s.get("num_batches_tracked"))[0], "eval mode does not count batches");
        }
    }
}
