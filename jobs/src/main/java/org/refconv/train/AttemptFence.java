package org.refconv.train;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.Collectives;
import org.refconv.engine.Device;
import org.refconv.engine.Tensors;
import org.refconv.io.HadoopFiles;

/**
 * The run folder's record of its current attempt ({@link RunLayout#attempt()}), written by the driver before it
 * submits one: a rank of an older attempt (frozen or cut off, then awake again) reads another id there and never
 * commits a checkpoint, metrics or the model. The driver also asks an attempt to stop at its next checkpoint
 * ({@link RunLayout#stopRequest()}) when it can grow back to full size.
 */
final class AttemptFence {

    private final RunLayout layout;
    private final Configuration conf;
    private final String attemptId;

    AttemptFence(RunLayout layout, Configuration conf, String attemptId) {
        this.layout = layout;
        this.conf = conf;
        this.attemptId = attemptId;
    }

    String attemptId() {
        return attemptId;
    }

    /** The driver: makes {@code attemptId} the run's current attempt, and withdraws any stop request. */
    static void record(RunLayout layout, Configuration conf, String attemptId) throws IOException {
        HadoopFiles.writeText(layout.stopRequest(), "", conf);
        HadoopFiles.writeText(layout.attempt(), attemptId, conf);
    }

    /** The driver: asks attempt {@code attemptId} to end at its next checkpoint. */
    static void requestStop(RunLayout layout, Configuration conf, String attemptId) throws IOException {
        HadoopFiles.writeText(layout.stopRequest(), attemptId, conf);
    }

    /** Refuses to let this attempt write {@code what} once a newer attempt owns the run folder. */
    void check(String what) throws IOException {
        Optional<String> current = HadoopFiles.readText(layout.attempt(), conf).map(String::strip);
        if (current.isPresent() && !current.get().equals(attemptId)) {
            throw new IllegalStateException("attempt " + attemptId + " does not write " + what + ": attempt "
                    + current.get() + " has replaced it (" + layout.attempt() + ")");
        }
    }

    /**
     * Whether the driver asked this attempt to end at this checkpoint, the same answer on every rank: rank 0 reads
     * the request, a one-value all-reduce tells the others.
     */
    boolean stopRequested(Collectives group, Device device) throws IOException {
        float asked = group.rank() == 0 && stopRequested() ? 1 : 0;
        Tensor flag = Tensors.to(Tensors.fromFloats(new float[] {asked}, 1), device);
        group.allReduceSum(List.of(flag));
        return flag.item_float() > 0;
    }

    /** Whether the driver asked this attempt to stop at a checkpoint. */
    boolean stopRequested() throws IOException {
        return HadoopFiles.readText(layout.stopRequest(), conf)
                .map(s -> s.strip().equals(attemptId))
                .orElse(false);
    }
}
