package org.refconv.train;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;

/**
 * What a run writes into its folder ({@link RunLayout}) while it trains: progress for the driver's bar, per-step and
 * per-epoch metrics with their plot, checkpoints, and the final model. Rank 0 writes; the other ranks get a writer
 * that writes nothing, so the training loop reads the same on every rank.
 */
class RunWriter {

    /** The writer of {@code rank}: a real one for rank 0, a silent one for the others. */
    static RunWriter forRank(
            int rank, TrainConfig config, int worldSize, long totalSteps, Configuration conf, AttemptFence fence)
            throws IOException {
        return rank == 0 ? new RunWriter(config, worldSize, totalSteps, conf, fence) : new RunWriter();
    }

    private final TrainConfig config;
    private final int worldSize;
    private final RunFiles files;
    private final TrainCheckpoints checkpoints;
    private final Metrics metrics;
    private final AttemptFence fence;

    private RunWriter(TrainConfig config, int worldSize, long totalSteps, Configuration conf, AttemptFence fence)
            throws IOException {
        this.fence = fence;
        this.config = config;
        this.worldSize = worldSize;
        this.files = new RunFiles(config.output(), conf);
        this.checkpoints = new TrainCheckpoints(config.output(), conf);
        String run = new org.apache.hadoop.fs.Path(config.output()).getName();
        this.metrics = Metrics.open(files, totalSteps, config.mode() + " " + config.model() + ", run " + run);
    }

    /** A writer that writes nothing (ranks other than 0). */
    private RunWriter() {
        this.config = null;
        this.worldSize = 0;
        this.files = null;
        this.checkpoints = null;
        this.metrics = null;
        this.fence = null;
    }

    private boolean silent() {
        return files == null;
    }

    /** After each trained step: progress (at most every 2 s), the step's loss, and a checkpoint every N steps. */
    void stepDone(Progress p, RankState state) throws IOException {
        if (silent()) {
            return;
        }
        files.writeProgress(
                p.epoch(),
                config.epochs(),
                p.stepInEpoch(),
                p.stepsPerEpoch(),
                p.loss(),
                p.imagesPerSec(),
                p.lr(),
                worldSize + "/" + config.ranks());
        metrics.step(p.globalStep(), p.loss(), p.lr());
        if (p.globalStep() % config.checkpointEvery() == 0) {
            fence.check("checkpoint " + p.globalStep());
            checkpoint(state, p.globalStep(), p.epoch() - 1);
            metrics.writeSteps();
        }
    }

    /** Where a step left the run: 1-based epoch, step within it, global step, loss, lr, throughput. */
    record Progress(
            long epoch,
            long stepInEpoch,
            long stepsPerEpoch,
            long globalStep,
            double loss,
            double lr,
            double imagesPerSec) {}

    /** After each epoch and its evaluation: the epoch's metrics row, the curves, and a checkpoint. */
    void epochDone(long epoch, long step, double meanLoss, Evaluator.Scores val, double lr, RankState state)
            throws IOException {
        if (silent()) {
            return;
        }
        fence.check("epoch " + epoch);
        metrics.append(epoch, step, meanLoss, val.top1(), val.top5(), lr);
        checkpoint(state, step, epoch);
    }

    /** Writes the final model; returns its URI (null on ranks that write nothing). */
    String finish(RankState state, long step) throws IOException {
        if (silent()) {
            return null;
        }
        fence.check("the model");
        return files.writeModel(state.modelState(), metadata(step, config.epochs(), state));
    }

    private void checkpoint(RankState state, long step, long epoch) throws IOException {
        Map<String, String> metadata = metadata(step, epoch, state);
        metadata.putAll(state.lossScaler().checkpointMetadata());
        checkpoints.save(step, state.modelState(), state.momentum(), metadata, config.keepCheckpoints());
    }

    /** What each checkpoint and the final model record about the run. */
    private Map<String, String> metadata(long step, long epoch, RankState state) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("configHash", config.trajectoryHash());
        m.put("epoch", String.valueOf(epoch));
        m.put("globalStep", String.valueOf(step));
        m.put("seed", String.valueOf(config.seed()));
        m.put("mode", config.mode());
        m.put("model", config.model());
        m.put("worldSize", String.valueOf(worldSize));
        m.put("attempt", fence.attemptId());
        m.put(ParamGroups.METADATA_KEY, state.paramGroups());
        return m;
    }
}
