package org.refconv.train;

import java.util.Arrays;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The logical ranks of a resized attempt: every rank trained exactly once, by executor p = rank mod executors. */
class LogicalRanksTest {

    @Test
    void executorsTakeEveryKthRank() {
        assertArrayEquals(new int[] {0, 1}, new LogicalRanks(0, 1, 2).owned());
        assertArrayEquals(new int[] {1, 4, 7}, new LogicalRanks(1, 3, 8).owned());
        assertArrayEquals(new int[] {2, 5}, new LogicalRanks(2, 3, 8).owned());
        assertArrayEquals(new int[] {1}, new LogicalRanks(1, 2, 2).owned());
    }

    @Test
    void everyLogicalRankIsTrainedOnceWhateverTheSize() {
        for (int ranks = 1; ranks <= 9; ranks++) {
            for (int executors = 1; executors <= ranks; executors++) {
                int n = executors;
                int r = ranks;
                int[] all = IntStream.range(0, executors)
                        .flatMap(p -> Arrays.stream(new LogicalRanks(p, n, r).owned()))
                        .sorted()
                        .toArray();
                assertArrayEquals(IntStream.range(0, ranks).toArray(), all, executors + " of " + ranks);
            }
        }
    }

    @Test
    void onlyAResizedAttemptAccumulatesAndItsLossScaleMakesTheMeanOverRanks() {
        assertFalse(new LogicalRanks(0, 4, 4).accumulates());
        assertEquals(1.0, new LogicalRanks(0, 4, 4).lossScale());
        assertTrue(new LogicalRanks(0, 3, 4).accumulates());
        // The all-reduce divides by 3 executors; 4 micro-batch losses each scaled 3/4 sum to the mean over 4.
        assertEquals(0.75, new LogicalRanks(0, 3, 4).lossScale());
        assertThrows(IllegalArgumentException.class, () -> new LogicalRanks(0, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> new LogicalRanks(2, 2, 4));
    }
}
