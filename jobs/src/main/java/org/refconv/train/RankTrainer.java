package org.refconv.train;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.input.Preprocessing;
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

    public RankTrainer(TrainConfig config, Collectives group, Device device, Configuration conf, Placement placement) {
        this.tensors = new BatchTensors(device, config.memoryFormat());
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
            Map<String, Double> medianPhaseSeconds)
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
        InputPipeline train = input("train", ImageTransform.train(config.imageSize()));
        long stepsPerEpoch = stepsPerEpoch(train);
        long totalSteps = stepsPerEpoch * config.epochs();
        WarmupCosine schedule = new WarmupCosine(config.lr(), stepsPerEpoch * config.warmupEpochs(), totalSteps);
        Evaluator evaluator = new Evaluator(
                input("val", Preprocessing.transform(config.imageSize())),
                config.numClasses(),
                tensors,
                placement.turns());
        RunWriter writer = RunWriter.forRank(rank, config, group.worldSize(), totalSteps, conf);

        var deferred = state.deferredGradients();
        TrainStep trainStep;
        Epoch last = new Epoch(Double.NaN, Double.NaN);
        Evaluator.Scores val = new Evaluator.Scores(0, 0, 0);
        long step = state.startStep();
        try (GradientSync gradients = placement.gradientSync(
                group, deferred.syncTargets(new ArrayList<>(state.trainable().values())))) {
            trainStep = new TrainStep(
                    state.model(),
                    state.sgd(),
                    gradients,
                    deferred,
                    placement.turns(),
                    StepPrecision.of(placement.precision(), state.lossScaler(), group));
            for (long epoch = step / stepsPerEpoch; epoch < config.epochs(); epoch++) {
                last = trainOneEpoch(trainStep, train, epoch, stepsPerEpoch, step, schedule, state, writer);
                step = (epoch + 1) * stepsPerEpoch;
                val = evaluator.score(state.model()).sumOverRanks(group);
                writer.epochDone(epoch + 1, step, last.meanLoss(), val, schedule.lr(Math.max(0, step - 1)), state);
            }
        } // closing the sync unhooks the parameters and frees its buckets now, not at some later GC
        String modelUri = writer.finish(state, step);
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
                timed.medianSeconds());
    }

    /** An epoch's training loss: the mean over the steps this attempt trained, and the last one. */
    private record Epoch(double meanLoss, double lastLoss) {}

    /**
     * Trains the steps of {@code epoch} from global step {@code step} on; a run resumed mid-epoch skips the batches
     * trained before the stop, so every sample is seen in the order of an uninterrupted run.
     */
    private Epoch trainOneEpoch(
            TrainStep trainStep,
            InputPipeline train,
            long epoch,
            long stepsPerEpoch,
            long step,
            WarmupCosine schedule,
            RankState state,
            RunWriter writer)
            throws IOException {
        state.model().train(true);
        long skip = step - epoch * stepsPerEpoch;
        long start = System.nanoTime();
        double lossSum = 0;
        double loss = Double.NaN;
        try (BatchIterator batches = train.epoch(epoch)) {
            for (long i = 0; i < stepsPerEpoch; i++) {
                trainStep.phases().startStep(); // input wait included: the throughput a user gets
                Batch b = batches.next();
                if (i < skip) {
                    trainStep.phases().discardStep();
                    continue;
                }
                double lr = schedule.lr(step);
                try (StepScope ignored = StepScope.openWithoutTrim()) {
                    var images = tensors.images(b);
                    var labels = tensors.labels(b);
                    trainStep.phases().end(StepPhases.Phase.INPUT);
                    loss = trainStep.run(images, labels, lr);
                }
                lossSum += loss;
                step++;
                double imagesPerSec = (i + 1 - skip) * (double) config.batch() / ((System.nanoTime() - start) / 1e9);
                writer.stepDone(
                        new RunWriter.Progress(epoch + 1, i + 1, stepsPerEpoch, step, loss, lr, imagesPerSec), state);
            }
        }
        long trained = stepsPerEpoch - skip;
        return new Epoch(trained > 0 ? lossSum / trained : Double.NaN, loss);
    }

    /** This rank's share of a split, in the run's sample order. */
    private InputPipeline input(String split, ImageTransform transform) throws IOException {
        return InputPipeline.builder(config.data() + "/" + split)
                .rank(group.rank())
                .worldSize(group.worldSize())
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
            throw new IllegalStateException(config.data() + "/train has too few images for " + group.worldSize()
                    + " ranks x batch " + config.batchPerRank());
        }
        return config.maxStepsPerEpoch() > 0 ? Math.min(available, config.maxStepsPerEpoch()) : available;
    }

    private double imagesPerSecond(long steps, double seconds) {
        return steps <= 0 || seconds <= 0 ? 0 : steps * (double) config.batch() / seconds;
    }
}
