package org.refconv.train;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.InputPipeline;

/**
 * One epoch of the batches of an executor's logical ranks ({@link LogicalRanks}): each step takes the next batch of
 * every one of them, and trains on them as one step of the full-size run.
 */
final class LogicalBatches implements AutoCloseable {

    private final List<BatchIterator> iterators = new ArrayList<>();
    private final LogicalRanks logical;
    private final BatchTensors tensors;

    LogicalBatches(List<InputPipeline> inputs, long epoch, LogicalRanks logical, BatchTensors tensors) {
        this.logical = logical;
        this.tensors = tensors;
        try {
            for (InputPipeline p : inputs) {
                iterators.add(p.epoch(epoch));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The next batch of each logical rank, in the order of {@link LogicalRanks#owned()}. */
    List<Batch> next() {
        List<Batch> micro = new ArrayList<>(iterators.size());
        for (BatchIterator it : iterators) {
            micro.add(it.next());
        }
        return micro;
    }

    /** Trains one step on {@code micro}; returns the loss of the executor's own logical rank. */
    double train(TrainStep step, List<Batch> micro, double lr) {
        List<Tensor> images = new ArrayList<>();
        List<Tensor> labels = new ArrayList<>();
        for (Batch b : micro) {
            images.add(tensors.images(b));
            labels.add(tensors.labels(b));
        }
        step.phases().end(StepPhases.Phase.INPUT);
        return logical.accumulates()
                ? step.runAccumulated(images, labels, logical.lossScale(), lr)
                : step.run(images.get(0), labels.get(0), lr);
    }

    @Override
    public void close() {
        iterators.forEach(BatchIterator::close);
    }
}
