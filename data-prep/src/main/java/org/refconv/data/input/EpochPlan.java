package org.refconv.data.input;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which row groups each rank reads in one epoch, and how many batches every rank yields. The row groups are
 * shuffled by (seed, epoch) and dealt greedily to the rank with the fewest rows so far, so shares are
 * disjoint, cover the split and stay balanced; every rank stops after the same number of full batches (the
 * smallest share decides, the rest is dropped for this epoch) so that synchronous training cannot deadlock.
 * Every rank computes the same plan from the footers alone: no communication is needed.
 */
public final class EpochPlan {
    private final List<List<RowGroupRef>> perRank;
    private final long batchesPerRank;

    private EpochPlan(List<List<RowGroupRef>> perRank, long batchesPerRank) {
        this.perRank = perRank;
        this.batchesPerRank = batchesPerRank;
    }

    public static EpochPlan create(List<RowGroupRef> rowGroups, int worldSize, long epoch, long seed, int batchSize) {
        if (rowGroups.size() < worldSize) {
            throw new IllegalArgumentException("only " + rowGroups.size() + " row groups for " + worldSize
                    + " ranks: prepare the data with a smaller rowGroupRows");
        }
        List<RowGroupRef> order = new ArrayList<>(rowGroups);
        Collections.shuffle(order, new Random(Seeds.mix(seed, epoch)));
        List<List<RowGroupRef>> perRank = new ArrayList<>();
        long[] rows = new long[worldSize];
        for (int r = 0; r < worldSize; r++) {
            perRank.add(new ArrayList<>());
        }
        for (RowGroupRef g : order) {
            int least = 0;
            for (int r = 1; r < worldSize; r++) {
                if (rows[r] < rows[least]) {
                    least = r;
                }
            }
            perRank.get(least).add(g);
            rows[least] += g.rows();
        }
        long batches = Long.MAX_VALUE;
        for (long r : rows) {
            batches = Math.min(batches, r / batchSize);
        }
        return new EpochPlan(perRank, batches);
    }

    public List<RowGroupRef> rowGroupsOf(int rank) {
        return Collections.unmodifiableList(perRank.get(rank));
    }

    public long batchesPerRank() {
        return batchesPerRank;
    }
}
