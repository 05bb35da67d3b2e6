package org.refconv.train;

import java.util.List;

import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.dist.GradientSync;
import org.refconv.engine.MemoryFormat;
import org.refconv.engine.Precision;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.OPERATIONAL;
import static org.refconv.config.Key.Kind.RESUMABLE;
import static org.refconv.config.Key.Kind.TRAJECTORY;

/**
 * The settings of the {@code train} job, each declared once: name, default, parser, kind and a doc line
 * ({@link Key}). conf/train.conf holds every key with its default and a longer explanation; {@link TrainConfig} is the
 * typed view of their values.
 */
public final class TrainKeys {

    private TrainKeys() {}

    private static final KeyTable.Builder TABLE = KeyTable.builder("train");

    /**
     * pretrain: the plain model, from scratch or from checkpointIn. The others all start from the basis checkpointIn:
     * refocus (RefConv), rep-adapter, retrain (the plain model trained again with the same recipe) and finetune (the
     * plain model with the small finetuneLr): the columns of the paper's Tables 4 and 5; linear-probe trains only the
     * classifier head over the frozen basis (its BatchNorm statistics frozen too).
     */
    public static final List<String> MODES =
            List.of("pretrain", "refocus", "rep-adapter", "retrain", "finetune", "linear-probe");

    public static final Key<String> MODE = TABLE.add(oneOf("mode", "refocus", MODES, TRAJECTORY, "what to train"));
    public static final Key<String> MODEL = TABLE.add(required("model", TRAJECTORY, "architecture (models.ModelZoo)"));
    public static final Key<Integer> NUM_CLASSES =
            TABLE.add(positiveInt("numClasses", 1000, TRAJECTORY, "classifier outputs"));
    public static final Key<Integer> IN_CHANNELS =
            TABLE.add(positiveInt("inChannels", 3, TRAJECTORY, "input channels"));
    public static final Key<Integer> IMAGE_SIZE = TABLE.add(positiveInt("imageSize", 224, TRAJECTORY, "training crop"));
    public static final Key<String> DATA = TABLE.add(required("data", TRAJECTORY, "a prepared dataset (train, val)"));
    public static final Key<String> CHECKPOINT_IN =
            TABLE.add(string("checkpointIn", "", TRAJECTORY, "pretrained weights (.safetensors or .pth)"));
    public static final Key<String> HEAD = TABLE.add(oneOf(
            "head",
            "auto",
            List.of("auto", "new", "keep"),
            TRAJECTORY,
            "classifier head: new when its shapes differ from checkpointIn's (auto), always new, or kept"));
    public static final Key<String> OUTPUT = TABLE.add(required("output", OPERATIONAL, "the run folder (RunLayout)"));
    public static final Key<Integer> EPOCHS = TABLE.add(positiveInt("epochs", 100, TRAJECTORY, "epochs"));
    public static final Key<Integer> WARMUP_EPOCHS =
            TABLE.add(intIn("warmupEpochs", 5, 0, Integer.MAX_VALUE, TRAJECTORY, "linear warmup before the cosine"));
    public static final Key<Integer> BATCH = TABLE.add(positiveInt("batch", 256, TRAJECTORY, "global batch"));
    public static final Key<Double> LR = TABLE.add(doubleIn("lr", 0.1, Double.MIN_VALUE, 100, TRAJECTORY, "peak lr"));
    public static final Key<Double> FINETUNE_LR =
            TABLE.add(doubleIn("finetuneLr", 1e-4, Double.MIN_VALUE, 100, TRAJECTORY, "lr of mode finetune"));
    public static final Key<Double> MOMENTUM = TABLE.add(doubleIn("momentum", 0.9, 0, 1, TRAJECTORY, "SGD momentum"));
    public static final Key<Double> WEIGHT_DECAY =
            TABLE.add(doubleIn("weightDecay", 4e-5, 0, 1, TRAJECTORY, "SGD weight decay"));
    public static final Key<Double> HEAD_LR_SCALE =
            TABLE.add(doubleIn("headLrScale", 1, 0, 1000, TRAJECTORY, "learning-rate multiplier of the head"));
    public static final Key<Double> BACKBONE_LR_SCALE = TABLE.add(
            doubleIn("backboneLrScale", 1, 0, 1000, TRAJECTORY, "learning-rate multiplier of all but the head"));
    public static final Key<Boolean> NO_DECAY_NORM_BIAS = TABLE.add(
            bool("noDecayNormBias", false, TRAJECTORY, "no weight decay on BatchNorm and bias (1-D) parameters"));
    public static final Key<String> AUGMENT = TABLE.add(oneOf(
            "augment",
            "imagenet",
            List.of("imagenet", "cifar", "none"),
            TRAJECTORY,
            "training augmentation preset (data.input.Augment)"));
    public static final Key<String> WR_INIT =
            TABLE.add(oneOf("wrInit", "xavier", List.of("xavier", "zero", "kaiming"), TRAJECTORY, "Wr initialisation"));
    public static final Key<String> REFOCUS_RULE =
            TABLE.add(oneOf("refocusRule", "all", List.of("all", "official"), TRAJECTORY, "which convs are refocused"));
    public static final Key<Boolean> IDENTITY = TABLE.add(bool("identity", true, TRAJECTORY, "Wt = Wb * Wr + Wb"));
    public static final Key<Boolean> TRAIN_BASIS = TABLE.add(bool("trainBasis", false, TRAJECTORY, "train Wb too"));
    public static final Key<Boolean> RANDOM_BASIS = TABLE.add(bool("randomBasis", false, TRAJECTORY, "a random Wb"));
    public static final Key<Double> ADAPTER_SCALE =
            TABLE.add(doubleIn("adapterScale", 0.5, Double.MIN_VALUE, 100, TRAJECTORY, "Rep-Adapter branch scale"));
    public static final Key<Integer> RANKS = TABLE.add(positiveInt("ranks", 2, RESUMABLE, "data-parallel ranks"));
    public static final Key<Integer> MIN_RANKS = TABLE.add(
            intIn("minRanks", 0, 0, Integer.MAX_VALUE, OPERATIONAL, "fewest executors a resized run uses (0: ranks)"));
    public static final Key<Integer> RESIZE_GRACE = TABLE.add(
            positiveInt("resizeGrace", 60, OPERATIONAL, "seconds to wait for all ranks' slots before resizing"));
    public static final Key<Integer> PEER_TIMEOUT = TABLE.add(
            positiveInt("peerTimeout", 60, OPERATIONAL, "seconds without a heartbeat before an attempt is hung"));
    public static final Key<String> DEVICE =
            TABLE.add(oneOf("device", "cpu", List.of("cpu", "gpu"), RESUMABLE, "device"));
    public static final Key<Integer> THREADS_PER_RANK =
            TABLE.add(positiveInt("threadsPerRank", 1, RESUMABLE, "libtorch threads per rank"));
    public static final Key<GradientSync.Mode> GRADIENT_SYNC = TABLE.add(
            enumOf("gradientSync", GradientSync.Mode.OVERLAPPED, RESUMABLE, "overlapped (DDP's Reducer) or blocking"));
    public static final Key<GradientSync.Compression> GRADIENT_COMPRESSION = TABLE.add(
            enumOf("gradientCompression", GradientSync.Compression.NONE, RESUMABLE, "none or fp16 all-reduce"));
    public static final Key<MemoryFormat> MEMORY_FORMAT =
            TABLE.add(enumOf("memoryFormat", MemoryFormat.CHANNELS_LAST, RESUMABLE, "layout of image batches"));
    public static final Key<Precision> PRECISION =
            TABLE.add(enumOf("precision", Precision.FP32, RESUMABLE, "fp32, bf16 (CPU autocast), fp16 (GPU) or auto"));
    public static final Key<String> RANK_ADDRESS = TABLE.add(string(
            "rankAddress", "", OPERATIONAL, "interface, address or subnet ranks bind (empty: a non-loopback one)"));
    public static final Key<Integer> RENDEZVOUS_TIMEOUT =
            TABLE.add(positiveInt("rendezvousTimeout", 120, OPERATIONAL, "seconds to reach rank 0's store"));
    public static final Key<Long> SEED = TABLE.add(longValue("seed", 0, TRAJECTORY, "seed of init and sample order"));
    public static final Key<Integer> CHECKPOINT_EVERY =
            TABLE.add(positiveInt("checkpointEvery", 500, OPERATIONAL, "steps between snapshots"));
    public static final Key<Integer> KEEP_CHECKPOINTS =
            TABLE.add(positiveInt("keepCheckpoints", 3, OPERATIONAL, "snapshots kept"));
    public static final Key<Integer> MAX_STEPS_PER_EPOCH =
            TABLE.add(intIn("maxStepsPerEpoch", 0, 0, Integer.MAX_VALUE, TRAJECTORY, "step cap per epoch (0: none)"));
    public static final Key<Boolean> FORCE =
            TABLE.add(bool("force", false, OPERATIONAL, "resume from a checkpoint of another configuration"));
    public static final Key<String> MASTER =
            TABLE.add(string("master", "", OPERATIONAL, "Spark master outside spark-submit"));

    public static final KeyTable KEYS = TABLE.build();
}
