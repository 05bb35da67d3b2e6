package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;

/**
 * The training run's snapshots under {@code <output>/checkpoints/step-<N>.safetensors}: model state (parameters and
 * buffers), optimizer momentum (prefixed {@code optim.momentum.}), and in the metadata the step, epoch, seed and
 * the config's trajectory hash. Written atomically by rank 0; the newest readable one is resumed from.
 */
public final class TrainCheckpoints {

    static final String MOMENTUM_PREFIX = "optim.momentum.";
    private final RunLayout layout;
    private final Configuration conf;

    public TrainCheckpoints(String outputUri, Configuration conf) {
        this.layout = RunLayout.of(outputUri);
        this.conf = conf;
    }

    /** A snapshot as read back: where training continues from. */
    public record Snapshot(String uri, long step, StateDict model, StateDict momentum, Map<String, String> metadata) {}

    /** Writes the snapshot of {@code step} and removes all but the newest {@code keep}. */
    public String save(
            long step, StateDict model, Map<String, HostTensor> momentum, Map<String, String> metadata, int keep)
            throws IOException {
        StateDict all = new StateDict();
        model.entries().forEach(e -> all.put(e.getKey(), e.getValue()));
        momentum.forEach((k, v) -> all.put(MOMENTUM_PREFIX + k, v));
        all.metadata().putAll(metadata);
        all.metadata().put("step", String.valueOf(step));
        String uri = layout.checkpoint(step);
        SafeTensors.write(all, uri, conf);
        List<Long> steps = steps();
        for (int i = 0; i < steps.size() - keep; i++) {
            Path old = new Path(layout.checkpoint(steps.get(i)));
            old.getFileSystem(conf).delete(old, false);
        }
        return uri;
    }

    /**
     * The newest snapshot that reads back whole. A damaged newest file (a write cut short cannot be one: writes are
     * atomic, but a disk can fail) is skipped for the one before it, with a warning.
     */
    public Optional<Snapshot> latest() throws IOException {
        List<Long> steps = steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            String uri = layout.checkpoint(steps.get(i));
            try {
                StateDict all = SafeTensors.read(uri, conf);
                StateDict model = new StateDict();
                StateDict momentum = new StateDict();
                for (Map.Entry<String, HostTensor> e : all.entries()) {
                    if (e.getKey().startsWith(MOMENTUM_PREFIX)) {
                        momentum.put(e.getKey().substring(MOMENTUM_PREFIX.length()), e.getValue());
                    } else {
                        model.put(e.getKey(), e.getValue());
                    }
                }
                return Optional.of(new Snapshot(uri, steps.get(i), model, momentum, all.metadata()));
            } catch (IOException e) {
                System.err.println("WARN skipping unreadable checkpoint " + uri + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Steps of the snapshots present, ascending. Temporary files of interrupted writes are not listed. */
    List<Long> steps() throws IOException {
        Path p = new Path(layout.checkpoints());
        FileSystem fs = p.getFileSystem(conf);
        List<Long> out = new ArrayList<>();
        if (!fs.exists(p)) {
            return out;
        }
        for (FileStatus s : fs.listStatus(p)) {
            RunLayout.checkpointStep(s.getPath().getName()).ifPresent(out::add);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
