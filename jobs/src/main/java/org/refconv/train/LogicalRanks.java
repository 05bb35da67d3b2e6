package org.refconv.train;

import java.io.Serializable;
import java.util.stream.IntStream;

/**
 * Which of a run's logical ranks an executor trains when an attempt runs on fewer executors than the run's
 * {@code ranks}: executor {@code p} of {@code executors} takes ranks p, p + executors, p + 2 x executors, ...; each
 * logical rank keeps its own share of every global batch, so the batch, the learning-rate schedule and the order of
 * the samples stay those of the run at full size.
 */
public record LogicalRanks(int executor, int executors, int ranks) implements Serializable {

    public LogicalRanks {
        if (executors < 1 || executors > ranks || executor < 0 || executor >= executors) {
            throw new IllegalArgumentException(
                    "executor " + executor + " of " + executors + " for " + ranks + " logical ranks");
        }
    }

    /** The logical ranks this executor trains, ascending; the first is the executor's own number. */
    public int[] owned() {
        return IntStream.iterate(executor, r -> r < ranks, r -> r + executors).toArray();
    }

    /** Whether this executor trains more than one logical rank, i.e. accumulates gradients. */
    public boolean accumulates() {
        return executors < ranks;
    }

    /**
     * The factor on each micro-batch's loss before backward: the all-reduce then averages over the executors, and
     * {@code executors / ranks} turns that into the mean over the logical ranks, as at full size.
     */
    public double lossScale() {
        return (double) executors / ranks;
    }
}
