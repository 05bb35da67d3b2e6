package org.refconv.train;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.refconv.data.input.Augment;
import org.refconv.data.input.Batch;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.dist.Collectives;
import org.refconv.dist.GradientSync;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.RefocusKernel;
import org.refconv.engine.StepScope;
import org.refconv.optim.WarmupCosine;

/**
 * One rank of a synchronous data-parallel training run, read like torchvision's {@code references/classification/
 * train.py}: {@link #run} wires the rank's state, input, schedule and gradient sync, then alternates
 * {@link #trainOneEpoch} and an {@link Evaluator} pass. Every rank holds the same model (rank 0's state is broadcast at
 * start), trains on its share of each global batch, and applies the same averaged update; rank 0 writes the run
 * folder ({@link RunWriter}).
 */
public final class RankTrainer {

    private final TrainConfig config;
    private final Collectives group;
    private final Configuration conf;
    private final Placement placement;
    /** Batches as this rank's model takes them: on its device, in the configured memory format. */
    private final BatchTensors tensors;
    /** The logical ranks this executor trains (all of them its own at full size) and its attempt's fence. */
    private final LogicalRanks logical;

    private final AttemptFence fence;

    public RankTrainer(
            TrainConfig config,
            Collectives group,
            Device device,
            Configuration conf,
            Placement placement,
            AttemptFence fence) {
        this.tensors = new BatchTensors(device, config.memoryFormat());
        this.logical = new LogicalRanks(group.rank(), group.worldSize(), config.ranks());
        this.fence = fence;
        this.config = config;
        this.group = group;
        this.conf = conf;
        this.placement = placement;
    }

    /**
     * What a rank reports back to the driver. {@code imagesPerSecond} counts every step this run trained;
     * {@code medianStepImagesPerSecond} is the global batch over the median step time: it leaves out the first step,
     * which pays one-time costs, and the steps a shared machine stalls: what a long run settles at.
     * {@code medianPhaseSeconds}: each phase's median time ({@link StepPhases}), in step order.
     */
    public record Result(
            int rank,
            long steps,
            long resumedFromStep,
            double lastLoss,
            double top1,
            double top5,
            String model,
            String parameterChecksum,
            double imagesPerSecond,
            double medianStepImagesPerSecond,
            Map<String, Double> medianPhaseSeconds,
            boolean finished)
            implements Serializable {}

    public Result run() throws IOException {
        int rank = group.rank();
        System.out.printf(
                "rank %d: %s; refocusing transform: %s; %s%n",
                rank, Engine.setThreads(config.threadsPerRank()), RefocusKernel.status(), placement.describe(config));
        RankState state = RankState.create(
                config,
                group,
                tensors.device(),
                placement.precision().effective(),
                conf,
                new TrainCheckpoints(config.output(), conf));
        Augment augment = Augment.parse(config.get(TrainKeys.AUGMENT));
        List<InputPipeline> train = trainInputs(augment.train(config.imageSize()));
        long stepsPerEpoch = stepsPerEpoch(train.get(0));
        long totalSteps = stepsPerEpoch * config.epochs();
        WarmupCosine schedule = new WarmupCosine(config.lr(), stepsPerEpoch * config.warmupEpochs(), totalSteps);
        Evaluator evaluator = new Evaluator(
                input("val", augment.eval(config.imageSize())), config.numClasses(), tensors, placement.turns());
        RunWriter writer = RunWriter.forRank(rank, config, group.worldSize(), totalSteps, conf, fence);

        var deferred = state.deferredGradients();
        TrainStep trainStep;
        Epoch last = new Epoch(Double.NaN, Double.NaN, 0, false);
        Evaluator.Scores val = new Evaluator.Scores(0, 0, 0);
        long step = state.startStep();
        boolean stopped = false;
        try (GradientSync gradients =
                placement.gradientSync(group, new ArrayList<>(state.trainable().values()), deferred, logical)) {
            trainStep = new TrainStep(
                    state.model(),
                    state.sgd(),
                    gradients,
                    deferred,
                    placement.turns(),
                    StepPrecision.of(placement.precision(), state.lossScaler(), group));
            for (long epoch = step / stepsPerEpoch; epoch < config.epochs() && !stopped; epoch++) {
                last = trainOneEpoch(trainStep, train, epoch, stepsPerEpoch, step, schedule, state, writer);
                step = last.step();
                if (last.stopped()) {
                    stopped = true;
                    break;
                }
                val = evaluator.score(state.model()).sumOverRanks(group);
                writer.epochDone(epoch + 1, step, last.meanLoss(), val, schedule.lr(Math.max(0, step - 1)), state);
                stopped = epoch + 1 < config.epochs() && stopRequested();
            }
        } // closing the sync unhooks the parameters and frees its buckets now, not at some later GC
        String modelUri = stopped ? null : writer.finish(state, step);
        group.barrier();
        StepPhases timed = trainStep.phases();
        System.out.printf(
                "rank %d: median time per phase of a step over %d steps: %s%n",
                rank, timed.steps(), StepPhases.format(timed.medianSeconds()));
        return new Result(
                rank,
                step,
                state.startStep(),
                last.lastLoss(),
                val.top1(),
                val.top5(),
                modelUri,
                state.checksum(),
                imagesPerSecond(timed.steps(), timed.totalSeconds()),
                imagesPerSecond(1, timed.medianStepSeconds()),
                timed.medianSeconds(),
                !stopped);
    }

    /**
     * Whether the driver asked this attempt to end at this checkpoint (slots came back: the next attempt runs at
     * full size). Rank 0 reads the request; a one-value all-reduce gives every rank its answer. Only a resized
     * attempt is ever asked, so full-size runs pay nothing.
     */
    private boolean stopRequested() throws IOException {
        return logical.accumulates() && fence.stopRequested(group, tensors.device());
    }

    /**
     * An epoch's training loss (the mean over the steps this attempt trained, and the last one), the global step it
     * ended at, and whether it stopped early at a checkpoint for the driver.
     */
    private record Epoch(double meanLoss, double lastLoss, long step, boolean stopped) {}

    /**
     * Trains the steps of {@code epoch} from global step {@code step} on; a run resumed mid-epoch skips the batches
     * trained before the stop, so every sample is seen in the order of an uninterrupted run.
     */
    private Epoch trainOneEpoch(
            TrainStep trainStep,
            List<InputPipeline> train,
            long epoch,
            long stepsPerEpoch,
            long step,
            WarmupCosine schedule,
            RankState state,
            RunWriter writer)
            throws IOException {
        state.trainMode();
        long skip = step - epoch * stepsPerEpoch;
        long start = System.nanoTime();
        double lossSum = 0;
        double loss = Double.NaN;
        try (LogicalBatches batches = new LogicalBatches(train, epoch, logical, tensors)) {
            for (long i = 0; i < stepsPerEpoch; i++) {
                trainStep.phases().startStep(); // input wait included: the throughput a user gets
                List<Batch> micro = batches.next();
                if (i < skip) {
                    trainStep.phases().discardStep();
                    continue;
                }
                double lr = schedule.lr(step);
                try (StepScope ignored = StepScope.openWithoutTrim()) {
                    loss = batches.train(trainStep, micro, lr);
                }
                lossSum += loss;
                step++;
                double imagesPerSec = (i + 1 - skip) * (double) config.batch() / ((System.nanoTime() - start) / 1e9);
                writer.stepDone(
                        new RunWriter.Progress(epoch + 1, i + 1, stepsPerEpoch, step, loss, lr, imagesPerSec), state);
                // At a checkpoint inside the epoch (at its end the epoch's row comes first: run() asks there).
                if (step % config.checkpointEvery() == 0 && i + 1 < stepsPerEpoch && stopRequested()) {
                    return new Epoch(Double.NaN, loss, step, true);
                }
            }
        }
        long trained = stepsPerEpoch - skip;
        return new Epoch(trained > 0 ? lossSum / trained : Double.NaN, loss, step, false);
    }

    /** The shares of the training split of this executor's logical ranks, in the run's sample order. */
    private List<InputPipeline> trainInputs(ImageTransform transform) throws IOException {
        List<InputPipeline> inputs = new ArrayList<>();
        for (int r : logical.owned()) {
            inputs.add(input("train", transform, r, config.ranks()));
        }
        return inputs;
    }

    /** This executor's share of a split (evaluation sums over the executors, whatever their number). */
    private InputPipeline input(String split, ImageTransform transform) throws IOException {
        return input(split, transform, group.rank(), group.worldSize());
    }

    private InputPipeline input(String split, ImageTransform transform, int rank, int worldSize) throws IOException {
        return InputPipeline.builder(config.data() + "/" + split)
                .rank(rank)
                .worldSize(worldSize)
                .seed(config.seed())
                .batchSize(config.batchPerRank())
                .transform(transform)
                .threads(Math.max(1, config.threadsPerRank()))
                .hadoopConf(conf)
                .build();
    }

    private long stepsPerEpoch(InputPipeline train) throws IOException {
        long available = train.plan(0).batchesPerRank();
        if (available == 0) {
            throw new IllegalStateException(config.data() + "/train has too few images for " + config.ranks()
                    + " ranks x batch " + config.batchPerRank());
        }
        return config.maxStepsPerEpoch() > 0 ? Math.min(available, config.maxStepsPerEpoch()) : available;
    }

    private double imagesPerSecond(long steps, double seconds) {
        return steps <= 0 || seconds <= 0 ? 0 : steps * (double) config.batch() / seconds;
    }
}
