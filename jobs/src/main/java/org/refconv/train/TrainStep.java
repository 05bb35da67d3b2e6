package org.refconv.train;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
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

    private List<Tensor> parameterGradients() {
        return Modules.trainableParameters(model).values().stream()
                .map(Tensor::grad)
                .toList();
    }
}
