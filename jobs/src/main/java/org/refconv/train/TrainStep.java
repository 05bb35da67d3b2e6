package org.refconv.train;

import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.GradientSync;
import org.refconv.engine.ComputeTurns;
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
final class TrainStep {

    private final Classifier model;
    private final Sgd sgd;
    private final GradientSync gradients;
    private final DeferredGradients deferred;
    private final ComputeTurns turns;
    private final StepPhases phases = new StepPhases();

    /** {@code turns}: the rank's turns at native compute ({@link Placement}); the gradient sync takes backward in them. */
    TrainStep(Classifier model, Sgd sgd, GradientSync gradients, DeferredGradients deferred, ComputeTurns turns) {
        this.model = model;
        this.sgd = sgd;
        this.gradients = gradients;
        this.deferred = deferred;
        this.turns = turns;
    }

    /** Returns this rank's loss (the mean over its share of the batch). */
    double run(Tensor images, Tensor labels, double lr) {
        phases.startStepIfNone(); // called without an input phase (tests): the step starts here
        double value;
        try (StepScope ignored = StepScope.open()) {
            sgd.zeroGrad();
            Tensor loss;
            try (ComputeTurns.Turn turn = turns.take()) {
                loss = Ops.crossEntropy(model.forward(images), labels);
            }
            phases.end(Phase.FORWARD);
            gradients.backward(loss);
            phases.end(Phase.BACKWARD_AND_SYNC);
            deferred.apply(); // the fused RefConv layers' dWr, from their averaged dWt
            phases.end(Phase.REFOCUSING_GRADIENT);
            sgd.setLearningRate(lr);
            sgd.step();
            value = loss.item_double();
        }
        phases.end(Phase.UPDATE); // after the scope: freeing the step's tensors is part of its time
        return value;
    }

    /** The time of each phase of the steps run so far (the caller times the input phase before {@link #run}). */
    StepPhases phases() {
        return phases;
    }
}
