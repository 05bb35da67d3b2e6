package org.refconv.train;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.BlockingGradientSync;
import org.refconv.dist.Collectives;
import org.refconv.dist.GradientSync;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Device;
import org.refconv.engine.Precision;
import org.refconv.reparam.DeferredGradients;

/**
 * Where a rank runs and what follows from it, decided once when the rank starts: whether it takes turns at native
 * compute with other ranks in its JVM ({@link ComputeTurns}: oneDNN's kernel choice is not thread-safe), and so which
 * gradient sync it may use (the overlapped one all-reduces inside backward, where a rank holding its turn would wait
 * for one that waits for the turn).
 */
public record Placement(
        ComputeTurns turns,
        GradientSync.Mode sync,
        GradientSync.Compression compression,
        Precision.Resolved precision) {

    /**
     * @param ranksShareAJvm whether another rank of this job runs in this JVM (Spark local mode, or an executor
     *     running two tasks of the barrier stage)
     */
    public static Placement decide(TrainConfig config, boolean ranksShareAJvm, Device device) {
        // The race is in oneDNN, the CPU backend: GPU ranks sharing a JVM need no turns.
        ComputeTurns turns = ComputeTurns.forRanksSharingAJvm(ranksShareAJvm && !device.isCuda());
        Precision.Resolved precision = config.precision().resolve(device);
        if (!turns.exclusive() || config.gradientSync() == GradientSync.Mode.BLOCKING) {
            return new Placement(turns, config.gradientSync(), config.gradientCompression(), precision);
        }
        if (config.gradientCompression() != GradientSync.Compression.NONE) {
            throw new IllegalStateException("gradientCompression " + config.gradientCompression() + " needs one rank"
                    + " per JVM (ranks sharing a JVM take turns at compute and cannot overlap the all-reduce):"
                    + " give each rank its own executor (spark.task.cpus = spark.executor.cores) or set"
                    + " gradientCompression none");
        }
        return new Placement(turns, GradientSync.Mode.BLOCKING, GradientSync.Compression.NONE, precision);
    }

    /** The gradient sync of this placement over {@code parameters}, in DDP's default bucket size. */
    public GradientSync gradientSync(Collectives group, List<Tensor> parameters) {
        return GradientSync.create(
                sync, compression, group, parameters, BlockingGradientSync.DEFAULT_BUCKET_BYTES, turns);
    }

    /**
     * The sync of a rank that trains {@code logical}: at full size this placement's, over the tensors that backward
     * fills ({@link DeferredGradients#syncTargets}); when it accumulates several logical ranks' micro-batches, the
     * blocking sync over the parameters themselves ({@link TrainStep#runAccumulated}: the overlapped one would
     * all-reduce inside every backward).
     */
    GradientSync gradientSync(
            Collectives group, List<Tensor> parameters, DeferredGradients deferred, LogicalRanks logical) {
        if (!logical.accumulates()) {
            return gradientSync(group, deferred.syncTargets(parameters));
        }
        System.out.printf(
                "rank %d: trains logical ranks %s of %d, accumulating their gradients (blocking sync)%n",
                group.rank(), java.util.Arrays.toString(logical.owned()), logical.ranks());
        return new BlockingGradientSync(group, parameters, BlockingGradientSync.DEFAULT_BUCKET_BYTES, turns);
    }

    /** What the rank log says about it. */
    public String describe(TrainConfig config) {
        String s = precision.describe() + "; gradientSync " + sync.name().toLowerCase(java.util.Locale.ROOT);
        if (turns.exclusive()) {
            s += ", taking turns at compute with the ranks in this JVM";
            if (config.gradientSync() != sync) {
                s += " (blocking instead of " + config.gradientSync().name().toLowerCase(java.util.Locale.ROOT) + ")";
            }
        }
        return s;
    }
}
