package org.refconv.train;

import java.util.List;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.BlockingGradientSync;
import org.refconv.dist.GradientSync;
import org.refconv.engine.Autocast;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.engine.StepScope;
import org.refconv.models.Classifier;
import org.refconv.optim.Sgd;
import org.refconv.reparam.DeferredGradients;
import org.refconv.train.StepPhases.Phase;

/**
 * One synchronous data-parallel SGD step: forward and backward on this rank's share of the global batch, gradients
 * averaged over ranks, the same update on every rank. Native memory of the step is released when it returns.
 */
record TrainStep(
        Classifier model,
        Sgd sgd,
        GradientSync gradients,
        DeferredGradients deferred,
        ComputeTurns turns,
        StepPrecision precision,
        StepPhases phases) {

    /** {@code turns}: the rank's turns at native compute ({@link Placement}); the gradient sync takes backward in them. */
    TrainStep(Classifier model, Sgd sgd, GradientSync gradients, DeferredGradients deferred, ComputeTurns turns) {
        this(model, sgd, gradients, deferred, turns, StepPrecision.fp32());
    }

    /** {@code precision}: the rank's arithmetic for the forward pass and the loss scaling of fp16. */
    TrainStep(
            Classifier model,
            Sgd sgd,
            GradientSync gradients,
            DeferredGradients deferred,
            ComputeTurns turns,
            StepPrecision precision) {
        this(model, sgd, gradients, deferred, turns, precision, new StepPhases());
    }

    /** Returns this rank's loss (the mean over its share of the batch). */
    double run(Tensor images, Tensor labels, double lr) {
        phases.startStepIfNone(); // called without an input phase (tests): the step starts here
        double value;
        try (StepScope ignored = StepScope.open()) {
            sgd.zeroGrad();
            Tensor loss;
            try (ComputeTurns.Turn turn = turns.take()) {
                Tensor logits;
                try (Autocast ignoredCast = precision.forward()) {
                    logits = model.forward(images);
                }
                loss = Ops.crossEntropy(Autocast.toFloat(logits), labels); // the loss in fp32
            }
            phases.end(Phase.FORWARD);
            gradients.backward(precision.scaler().scale(loss));
            phases.end(Phase.BACKWARD_AND_SYNC);
            deferred.apply(); // the fused RefConv layers' dWr, from their averaged dWt
            phases.end(Phase.REFOCUSING_GRADIENT);
            if (!precision.skipStep(this::parameterGradients)) {
                sgd.setLearningRate(lr);
                sgd.step();
            }
            value = loss.item_double();
        }
        phases.end(Phase.UPDATE); // after the scope: freeing the step's tensors is part of its time
        return value;
    }

    /**
     * One step over several logical ranks' micro-batches ({@link LogicalRanks}: an attempt on fewer executors than
     * ranks): forward and backward of each in turn, their gradients scaled by {@code lossScale} and summed, then one
     * blocking all-reduce (the overlapped sync would all-reduce inside every backward). The fused RefConv layers turn
     * their dWt into dWr after each backward (they refuse a forward while one is pending; dWr is linear in dWt), so
     * the sync must run over the parameters themselves. Returns the first micro-batch's loss: the executor's own rank.
     */
    double runAccumulated(List<Tensor> images, List<Tensor> labels, double lossScale, double lr) {
        if (!(gradients instanceof BlockingGradientSync sum)) {
            throw new IllegalStateException("accumulating micro-batches needs the blocking gradient sync");
        }
        phases.startStepIfNone();
        double first = Double.NaN;
        try (StepScope ignored = StepScope.open()) {
            sgd.zeroGrad();
            for (int i = 0; i < images.size(); i++) {
                Tensor loss;
                try (ComputeTurns.Turn turn = turns.take()) {
                    Tensor logits;
                    try (Autocast ignoredCast = precision.forward()) {
                        logits = model.forward(images.get(i));
                    }
                    loss = Ops.crossEntropy(Autocast.toFloat(logits), labels.get(i));
                }
                phases.end(Phase.FORWARD);
                try (ComputeTurns.Turn turn = turns.take()) {
                    precision.scaler().scale(loss).mul(new Scalar(lossScale)).backward();
                }
                deferred.apply();
                phases.end(Phase.BACKWARD_AND_SYNC);
                if (i == 0) {
                    first = loss.item_double();
                }
            }
            sum.average();
            phases.end(Phase.BACKWARD_AND_SYNC);
            if (!precision.skipStep(this::parameterGradients)) {
                sgd.setLearningRate(lr);
                sgd.step();
            }
        }
        phases.end(Phase.UPDATE);
        return first;
    }

    private List<Tensor> parameterGradients() {
        return Modules.trainableParameters(model).values().stream()
                .map(Tensor::grad)
                .toList();
    }
}
