package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.HostTensor;
import org.refconv.data.input.Batch;
import org.refconv.data.input.BatchIterator;
import org.refconv.data.input.ImageTransform;
import org.refconv.data.input.InputPipeline;
import org.refconv.data.input.Preprocessing;
import org.refconv.dist.Collectives;
import org.refconv.dist.GradientAverager;
import org.refconv.dist.GradientSync;
import org.refconv.engine.ComputeTurns;
import org.refconv.engine.Device;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.RefocusKernel;
import org.refconv.engine.StepScope;
import org.refconv.engine.Tensors;
import org.refconv.optim.Sgd;
import org.refconv.optim.WarmupCosine;
import org.refconv.reparam.DeferredGradients;

/**
 * One rank of a synchronous data-parallel training run: the same model on every rank (rank 0's state is broadcast
 * at start), each step a forward and backward on this rank's share of the global batch, gradients averaged across
 * ranks, and the same SGD update everywhere. Rank 0 writes checkpoints, metrics and progress.
 */
public final class RankTrainer {

    private final TrainConfig config;
    private final int rank;
    private final Collectives group;
    private final Device device;
    private final Configuration conf;
    private final RunFiles files;
    private final ComputeTurns turns;

    /** {@code turns}: whether this rank takes turns at native compute with other ranks in its JVM. */
    public RankTrainer(TrainConfig config, Collectives group, Device device, Configuration conf, ComputeTurns turns) {
        this.config = config;
        this.turns = turns;
        this.rank = group.rank();
        this.group = group;
        this.device = device;
        this.conf = conf;
        this.files = new RunFiles(config.output(), conf);
    }

    /**
     * What a rank reports back to the driver. {@code imagesPerSecond} counts every step this run trained;
     * {@code medianStepImagesPerSecond} is the global batch over the median step time: it leaves out the first step,
     * which pays one-time costs (oneDNN creating kernels for new shapes, the Reducer rebuilding its buckets in the
     * order gradients arrived), and the steps a shared machine stalls: what a long run settles at.
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
            implements java.io.Serializable {}

    public Result run() throws IOException {
        System.out.printf(
                "rank %d: %s; refocusing transform: %s%n",
                rank, Engine.setThreads(config.threadsPerRank()), RefocusKernel.status());
        Engine.manualSeed(config.seed());
        ModelBuilder.Built built = ModelBuilder.build(config, conf);
        Modules.moveTo(built.model(), device);
        Map<String, Tensor> trainable = Modules.trainableParameters(built.model());
        Sgd sgd = new Sgd(trainable, config.lr(), config.momentum(), config.weightDecay());

        TrainCheckpoints checkpoints = new TrainCheckpoints(config.output(), conf);
        long startStep = resume(checkpoints, built, sgd);
        // Every rank starts from rank 0's exact state (init, basis and resumed tensors alike).
        group.broadcast(new ArrayList<>(Modules.stateDict(built.model()).values()), 0);
        if (!sgd.state().isEmpty()) {
            group.broadcast(new ArrayList<>(sgd.state().values()), 0);
        }

        InputPipeline train = InputPipeline.builder(config.data() + "/train")
                .rank(rank)
                .worldSize(group.worldSize())
                .seed(config.seed())
                .batchSize(config.batchPerRank())
                .transform(ImageTransform.train(config.imageSize()))
                .threads(Math.max(1, config.threadsPerRank()))
                .hadoopConf(conf)
                .build();
        long available = train.plan(0).batchesPerRank();
        if (available == 0) {
            throw new IllegalStateException(config.data() + "/train has too few images for " + group.worldSize()
                    + " ranks x batch " + config.batchPerRank());
        }
        long stepsPerEpoch = config.maxStepsPerEpoch() > 0 ? Math.min(available, config.maxStepsPerEpoch()) : available;
        long totalSteps = stepsPerEpoch * config.epochs();
        WarmupCosine schedule = new WarmupCosine(config.lr(), stepsPerEpoch * config.warmupEpochs(), totalSteps);
        DeferredGradients deferred = DeferredGradients.of(built.factory());
        GradientSync gradients = GradientSync.create(
                gradientSync(),
                config.gradientCompression(),
                group,
                deferred.syncTargets(new ArrayList<>(trainable.values())),
                GradientAverager.DEFAULT_BUCKET_BYTES,
                turns);
        TrainStep trainStep = new TrainStep(built.model(), sgd, gradients, deferred);
        Metrics metrics = rank == 0 ? Metrics.open(files) : null;

        long step = startStep;
        double lastLoss = Double.NaN;
        double[] eval = {Double.NaN, Double.NaN};
        built.model().train(true);
        try {
            for (long epoch = step / stepsPerEpoch; epoch < config.epochs(); epoch++) {
                long skip = step - epoch * stepsPerEpoch;
                long epochStart = System.nanoTime();
                double lossSum = 0;
                try (BatchIterator batches = train.epoch(epoch)) {
                    for (long i = 0; i < stepsPerEpoch; i++) {
                        trainStep.phases().startStep(); // input wait included: the throughput a user gets
                        Batch b = batches.next();
                        if (i < skip) {
                            trainStep.phases().discardStep();
                            continue; // resuming mid-epoch: these batches were trained on before the stop
                        }
                        double lr = schedule.lr(step);
                        lastLoss = step(trainStep, b, lr);
                        lossSum += lastLoss;
                        step++;
                        if (rank == 0) {
                            double secs = (System.nanoTime() - epochStart) / 1e9;
                            double imagesPerSec = (i + 1 - skip) * (double) config.batch() / secs;
                            files.writeProgress(
                                    epoch + 1, config.epochs(), i + 1, stepsPerEpoch, lastLoss, imagesPerSec, lr);
                            if (step % config.checkpointEvery() == 0) {
                                saveCheckpoint(checkpoints, step, epoch, built, sgd);
                            }
                        }
                    }
                }
                eval = evaluate(built);
                built.model().train(true);
                if (rank == 0) {
                    long trained = stepsPerEpoch - skip;
                    metrics.append(
                            epoch + 1,
                            step,
                            trained > 0 ? lossSum / trained : Double.NaN,
                            eval[0],
                            eval[1],
                            schedule.lr(Math.max(0, step - 1)));
                    saveCheckpoint(checkpoints, step, epoch + 1, built, sgd);
                }
            }
        } finally {
            gradients.close(); // unhooks the parameters and frees the buckets now, not at some later GC
        }
        String modelUri = null;
        if (rank == 0) {
            modelUri = files.writeModel(Modules.toStateDict(built.model()), runMetadata(step, config.epochs()));
        }
        group.barrier();
        StepPhases timed = trainStep.phases();
        Map<String, Double> phases = timed.medianSeconds();
        System.out.printf(
                "rank %d: median time per phase of a step over %d steps: %s%n",
                rank, timed.steps(), StepPhases.format(phases));
        return new Result(
                rank,
                step,
                startStep,
                lastLoss,
                eval[0],
                eval[1],
                modelUri,
                checksum(trainable),
                imagesPerSecond(timed.steps(), timed.totalSeconds()),
                imagesPerSecond(1, timed.medianStepSeconds()),
                phases);
    }

    private double imagesPerSecond(long steps, double seconds) {
        return steps <= 0 || seconds <= 0 ? 0 : steps * (double) config.batch() / seconds;
    }

    /** SHA-256 of the trainable parameters' bytes: equal on all ranks iff their parameters are identical. */
    static String checksum(Map<String, Tensor> parameters) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
                md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(Tensors.toHost(e.getValue()).data());
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private long resume(TrainCheckpoints checkpoints, ModelBuilder.Built built, Sgd sgd) throws IOException {
        Optional<TrainCheckpoints.Snapshot> found = checkpoints.latest();
        if (found.isEmpty()) {
            return 0;
        }
        TrainCheckpoints.Snapshot s = found.get();
        String hash = s.metadata().get("configHash");
        if (!config.trajectoryHash().equals(hash) && !config.force()) {
            throw new IllegalStateException("checkpoint " + s.uri() + " was written by a run with another configuration"
                    + " (hash " + hash + ", this run " + config.trajectoryHash() + "): use another output, or --force"
                    + " true to continue from it anyway");
        }
        Modules.load(built.model(), s.model(), true);
        Map<String, Tensor> momentum = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : s.momentum().entries()) {
            momentum.put(e.getKey(), Tensors.to(Tensors.fromHost(e.getValue()), device));
        }
        sgd.restoreState(momentum);
        if (rank == 0) {
            System.out.println("resuming from " + s.uri() + " (step " + s.step() + ")");
        }
        return s.step();
    }

    private void saveCheckpoint(TrainCheckpoints checkpoints, long step, long epoch, ModelBuilder.Built built, Sgd sgd)
            throws IOException {
        Map<String, HostTensor> momentum = new LinkedHashMap<>();
        sgd.state().forEach((k, v) -> momentum.put(k, Tensors.toHost(v)));
        checkpoints.save(
                step, Modules.toStateDict(built.model()), momentum, runMetadata(step, epoch), config.keepCheckpoints());
    }

    private Map<String, String> runMetadata(long step, long epoch) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("configHash", config.trajectoryHash());
        m.put("epoch", String.valueOf(epoch));
        m.put("globalStep", String.valueOf(step));
        m.put("seed", String.valueOf(config.seed()));
        m.put("mode", config.mode());
        m.put("model", config.model());
        m.put("worldSize", String.valueOf(group.worldSize()));
        return m;
    }

    /**
     * The configured gradient sync, or the blocking one when ranks take turns at compute (the overlapped sync's
     * all-reduces run inside backward, where a rank holding its turn would wait for one waiting for the turn).
     */
    private GradientSync.Mode gradientSync() {
        if (!turns.exclusive() || config.gradientSync() == GradientSync.Mode.BLOCKING) {
            return config.gradientSync();
        }
        if (config.gradientCompression() != GradientSync.Compression.NONE) {
            throw new IllegalStateException("gradientCompression " + config.gradientCompression() + " needs one rank"
                    + " per JVM (ranks sharing a JVM take turns at compute and cannot overlap the all-reduce):"
                    + " give each rank its own executor (spark.task.cpus = spark.executor.cores) or set"
                    + " gradientCompression none");
        }
        if (rank == 0) {
            System.out.println("ranks share a JVM: gradientSync blocking instead of " + config.gradientSync());
        }
        return GradientSync.Mode.BLOCKING;
    }

    /** Distributed top-1 / top-5 on the validation split: each rank scores its share, counts are summed. */
    private double[] evaluate(ModelBuilder.Built built) throws IOException {
        InputPipeline val = InputPipeline.builder(config.data() + "/val")
                .rank(rank)
                .worldSize(group.worldSize())
                .seed(config.seed())
                .batchSize(config.batchPerRank())
                .transform(Preprocessing.transform(config.imageSize()))
                .threads(Math.max(1, config.threadsPerRank()))
                .hadoopConf(conf)
                .build();
        built.model().eval();
        long[] counts = new long[3];
        try (BatchIterator batches = val.epoch(0)) {
            while (batches.hasNext()) {
                Batch b = batches.next();
                try (StepScope ignored = StepScope.openWithoutTrim();
                        NoGrad ng = NoGrad.enter();
                        ComputeTurns.Turn turn = turns.take()) {
                    float[] logits = Tensors.toFloats(built.model().forward(images(b)));
                    TopK.count(logits, b.labels(), config.numClasses(), counts);
                }
            }
        }
        Tensor total = Tensors.fromFloats(new float[] {counts[0], counts[1], counts[2]}, 3)
                .to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
        group.allReduceSum(List.of(total));
        float[] sums = Tensors.toFloats(total);
        return sums[2] == 0
                ? new double[] {Double.NaN, Double.NaN}
                : new double[] {sums[0] / sums[2], sums[1] / sums[2]};
    }

    private double step(TrainStep trainStep, Batch b, double lr) {
        try (StepScope ignored = StepScope.openWithoutTrim()) {
            Tensor images = images(b);
            Tensor labels = labels(b);
            trainStep.phases().end(StepPhases.Phase.INPUT);
            return trainStep.run(images, labels, lr);
        }
    }

    private Tensor images(Batch b) {
        Tensor images = Tensors.fromFloats(b.images(), b.size(), 3, b.height(), b.width());
        return config.memoryFormat().apply(Tensors.to(images, device));
    }

    private Tensor labels(Batch b) {
        long[] y = new long[b.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = b.labels()[i];
        }
        return Tensors.to(Tensors.fromLongs(y, y.length), device);
    }
}
