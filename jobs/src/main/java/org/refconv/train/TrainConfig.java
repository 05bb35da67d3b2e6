package org.refconv.train;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

import org.refconv.config.ConfigException;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.dist.GradientSync;
import org.refconv.engine.MemoryFormat;

import static org.refconv.config.Key.Kind.OPERATIONAL;
import static org.refconv.config.Key.Kind.RESUMABLE;
import static org.refconv.config.Key.Kind.TRAJECTORY;

/**
 * Settings of the {@code train} job: what to train (mode, model), on what (data), how (recipe, ranks, device), and
 * where results go. Each setting is one {@link Key} of {@link #KEYS}; conf/train.conf holds every key with its default
 * and a longer explanation. Loaded from a file ({@code --config conf/train.conf}) with {@code --key value} overrides
 * and validated before any cluster resources are taken.
 */
public final class TrainConfig implements Serializable {

    private static final long serialVersionUID = 2L;

    /**
     * pretrain: the plain model, from scratch or from checkpointIn. The others all start from the basis checkpointIn:
     * refocus (RefConv), rep-adapter, retrain (the plain model trained again with the same recipe) and finetune (the
     * plain model with the small finetuneLr): the columns of the paper's Tables 4 and 5.
     */
    public static final List<String> MODES = List.of("pretrain", "refocus", "rep-adapter", "retrain", "finetune");

    public static final Key<String> MODE = Key.oneOf("mode", "refocus", MODES, TRAJECTORY, "what to train");
    public static final Key<String> MODEL = Key.required("model", TRAJECTORY, "architecture (models.ModelZoo)");
    public static final Key<Integer> NUM_CLASSES =
            Key.positiveInt("numClasses", "1000", TRAJECTORY, "classifier outputs");
    public static final Key<Integer> IN_CHANNELS = Key.positiveInt("inChannels", "3", TRAJECTORY, "input channels");
    public static final Key<Integer> IMAGE_SIZE = Key.positiveInt("imageSize", "224", TRAJECTORY, "training crop");
    public static final Key<String> DATA = Key.required("data", TRAJECTORY, "a prepared dataset (train, val)");
    public static final Key<String> CHECKPOINT_IN =
            Key.string("checkpointIn", "", TRAJECTORY, "pretrained weights (.safetensors or .pth)");
    public static final Key<String> OUTPUT = Key.required("output", OPERATIONAL, "the run folder (RunLayout)");
    public static final Key<Integer> EPOCHS = Key.positiveInt("epochs", "100", TRAJECTORY, "epochs");
    public static final Key<Integer> WARMUP_EPOCHS =
            Key.intIn("warmupEpochs", "5", 0, Integer.MAX_VALUE, TRAJECTORY, "linear warmup before the cosine");
    public static final Key<Integer> BATCH = Key.positiveInt("batch", "256", TRAJECTORY, "global batch");
    public static final Key<Double> LR = Key.doubleIn("lr", "0.1", Double.MIN_VALUE, 100, TRAJECTORY, "peak lr");
    public static final Key<Double> FINETUNE_LR =
            Key.doubleIn("finetuneLr", "1e-4", Double.MIN_VALUE, 100, TRAJECTORY, "lr of mode finetune");
    public static final Key<Double> MOMENTUM = Key.doubleIn("momentum", "0.9", 0, 1, TRAJECTORY, "SGD momentum");
    public static final Key<Double> WEIGHT_DECAY =
            Key.doubleIn("weightDecay", "4e-5", 0, 1, TRAJECTORY, "SGD weight decay");
    public static final Key<String> WR_INIT =
            Key.oneOf("wrInit", "xavier", List.of("xavier", "zero", "kaiming"), TRAJECTORY, "Wr initialisation");
    public static final Key<String> REFOCUS_RULE =
            Key.oneOf("refocusRule", "all", List.of("all", "official"), TRAJECTORY, "which convs are refocused");
    public static final Key<Boolean> IDENTITY = Key.bool("identity", "true", TRAJECTORY, "Wt = Wb * Wr + Wb");
    public static final Key<Boolean> TRAIN_BASIS = Key.bool("trainBasis", "false", TRAJECTORY, "train Wb too");
    public static final Key<Boolean> RANDOM_BASIS = Key.bool("randomBasis", "false", TRAJECTORY, "a random Wb");
    public static final Key<Double> ADAPTER_SCALE =
            Key.doubleIn("adapterScale", "0.5", Double.MIN_VALUE, 100, TRAJECTORY, "Rep-Adapter branch scale");
    public static final Key<Integer> RANKS = Key.positiveInt("ranks", "2", RESUMABLE, "data-parallel ranks");
    public static final Key<String> DEVICE = Key.oneOf("device", "cpu", List.of("cpu", "gpu"), RESUMABLE, "device");
    public static final Key<Integer> THREADS_PER_RANK =
            Key.positiveInt("threadsPerRank", "1", RESUMABLE, "libtorch threads per rank");
    public static final Key<GradientSync.Mode> GRADIENT_SYNC = Key.of(
            "gradientSync",
            "overlapped",
            RESUMABLE,
            "overlapped (DDP's Reducer) or blocking",
            (v, k) -> GradientSync.Mode.parse(v.oneOf(k, List.of("overlapped", "blocking"))));
    public static final Key<GradientSync.Compression> GRADIENT_COMPRESSION = Key.of(
            "gradientCompression",
            "none",
            RESUMABLE,
            "none or fp16 all-reduce",
            (v, k) -> GradientSync.Compression.parse(v.oneOf(k, List.of("none", "fp16"))));
    public static final Key<MemoryFormat> MEMORY_FORMAT = Key.of(
            "memoryFormat",
            MemoryFormat.CHANNELS_LAST.configName(),
            RESUMABLE,
            "layout of image batches",
            (v, k) -> MemoryFormat.parse(v.oneOf(k, MemoryFormat.CONFIG_NAMES)));
    public static final Key<Long> SEED = Key.longValue("seed", "0", TRAJECTORY, "seed of init and sample order");
    public static final Key<Integer> CHECKPOINT_EVERY =
            Key.positiveInt("checkpointEvery", "500", OPERATIONAL, "steps between snapshots");
    public static final Key<Integer> KEEP_CHECKPOINTS =
            Key.positiveInt("keepCheckpoints", "3", OPERATIONAL, "snapshots kept");
    public static final Key<Integer> MAX_STEPS_PER_EPOCH =
            Key.intIn("maxStepsPerEpoch", "0", 0, Integer.MAX_VALUE, TRAJECTORY, "step cap per epoch (0: none)");
    public static final Key<Boolean> FORCE =
            Key.bool("force", "false", OPERATIONAL, "resume from a checkpoint of another configuration");
    public static final Key<String> MASTER = Key.string("master", "", OPERATIONAL, "Spark master outside spark-submit");

    public static final KeyTable KEYS = KeyTable.of(
            "train",
            MODE,
            MODEL,
            NUM_CLASSES,
            IN_CHANNELS,
            IMAGE_SIZE,
            DATA,
            CHECKPOINT_IN,
            OUTPUT,
            EPOCHS,
            WARMUP_EPOCHS,
            BATCH,
            LR,
            FINETUNE_LR,
            MOMENTUM,
            WEIGHT_DECAY,
            WR_INIT,
            REFOCUS_RULE,
            IDENTITY,
            TRAIN_BASIS,
            RANDOM_BASIS,
            ADAPTER_SCALE,
            RANKS,
            DEVICE,
            THREADS_PER_RANK,
            GRADIENT_SYNC,
            GRADIENT_COMPRESSION,
            MEMORY_FORMAT,
            SEED,
            CHECKPOINT_EVERY,
            KEEP_CHECKPOINTS,
            MAX_STEPS_PER_EPOCH,
            FORCE,
            MASTER);

    /** Settings that only a refocus run uses: set elsewhere, they are refused rather than silently ignored. */
    private static final List<Key<Boolean>> REFOCUS_ONLY = List.of(IDENTITY, TRAIN_BASIS, RANDOM_BASIS);

    private final Values values;

    private TrainConfig(Values values) {
        this.values = values;
    }

    public static TrainConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    /** Parses and checks everything that can be checked without touching a file system or a cluster. */
    public static TrainConfig from(Settings settings) {
        TrainConfig c = new TrainConfig(KEYS.parse(settings));
        c.validate();
        return c;
    }

    /** The checks that involve more than one key. */
    private void validate() {
        if (batch() % ranks() != 0) {
            throw new ConfigException(values.origin(BATCH) + ": the global batch " + batch()
                    + " must be divisible by ranks = " + ranks() + " (each rank takes batch / ranks)");
        }
        if (warmupEpochs() > epochs()) {
            throw new ConfigException(values.origin(WARMUP_EPOCHS) + ": " + warmupEpochs() + " warmup epochs exceed "
                    + epochs() + " epochs");
        }
        if (gradientCompression() != GradientSync.Compression.NONE && gradientSync() != GradientSync.Mode.OVERLAPPED) {
            throw new ConfigException(
                    values.origin(GRADIENT_COMPRESSION) + ": " + values.raw().get("gradientCompression")
                            + " compression needs gradientSync = overlapped (DDP's Reducer runs the compression hook)");
        }
        if (!mode().equals("pretrain") && checkpointIn().isEmpty()) {
            throw new ConfigException(
                    "mode " + mode() + " needs checkpointIn: the pretrained basis (.safetensors or .pth)");
        }
        if (!refocus()) {
            for (Key<Boolean> k : REFOCUS_ONLY) {
                if (!values.get(k).equals(Boolean.parseBoolean(k.defaultValue()))) {
                    throw new ConfigException(
                            values.origin(k) + ": applies to mode refocus only (this run is " + mode() + ")");
                }
            }
        }
    }

    /** Every key's value as given (or its default): what run-config.json records and reads back. */
    public Map<String, String> asStrings() {
        return values.raw();
    }

    /**
     * A hash of the settings that shape the optimisation trajectory ({@link Key.Kind#TRAJECTORY}): a checkpoint written
     * under another hash is not resumed from unless forced.
     */
    public String trajectoryHash() {
        return KEYS.hash(values);
    }

    public String mode() {
        return values.get(MODE);
    }

    public String model() {
        return values.get(MODEL);
    }

    public int numClasses() {
        return values.get(NUM_CLASSES);
    }

    public int inChannels() {
        return values.get(IN_CHANNELS);
    }

    public int imageSize() {
        return values.get(IMAGE_SIZE);
    }

    public String data() {
        return values.get(DATA);
    }

    public String checkpointIn() {
        return values.get(CHECKPOINT_IN);
    }

    public String output() {
        return values.get(OUTPUT);
    }

    public int epochs() {
        return values.get(EPOCHS);
    }

    public int warmupEpochs() {
        return values.get(WARMUP_EPOCHS);
    }

    public int batch() {
        return values.get(BATCH);
    }

    /** The learning rate of this run: finetuneLr for mode finetune, lr otherwise. */
    public double lr() {
        return values.get(mode().equals("finetune") ? FINETUNE_LR : LR);
    }

    public double momentum() {
        return values.get(MOMENTUM);
    }

    public double weightDecay() {
        return values.get(WEIGHT_DECAY);
    }

    public String wrInit() {
        return values.get(WR_INIT);
    }

    public String refocusRule() {
        return values.get(REFOCUS_RULE);
    }

    public boolean identity() {
        return values.get(IDENTITY);
    }

    public boolean trainBasis() {
        return values.get(TRAIN_BASIS);
    }

    public boolean randomBasis() {
        return values.get(RANDOM_BASIS);
    }

    public double adapterScale() {
        return values.get(ADAPTER_SCALE);
    }

    public int ranks() {
        return values.get(RANKS);
    }

    public String device() {
        return values.get(DEVICE);
    }

    public int threadsPerRank() {
        return values.get(THREADS_PER_RANK);
    }

    public GradientSync.Mode gradientSync() {
        return values.get(GRADIENT_SYNC);
    }

    public GradientSync.Compression gradientCompression() {
        return values.get(GRADIENT_COMPRESSION);
    }

    public MemoryFormat memoryFormat() {
        return values.get(MEMORY_FORMAT);
    }

    public long seed() {
        return values.get(SEED);
    }

    public int checkpointEvery() {
        return values.get(CHECKPOINT_EVERY);
    }

    public int keepCheckpoints() {
        return values.get(KEEP_CHECKPOINTS);
    }

    public int maxStepsPerEpoch() {
        return values.get(MAX_STEPS_PER_EPOCH);
    }

    public boolean force() {
        return values.get(FORCE);
    }

    public String master() {
        return values.get(MASTER);
    }

    public int batchPerRank() {
        return batch() / ranks();
    }

    public boolean refocus() {
        return mode().equals("refocus");
    }

    /** Whether the run trains a re-parameterized model (RefConv or Rep-Adapter) that publish folds. */
    public boolean reparameterized() {
        return refocus() || mode().equals("rep-adapter");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig other && asStrings().equals(other.asStrings());
    }

    @Override
    public int hashCode() {
        return asStrings().hashCode();
    }

    @Override
    public String toString() {
        return "TrainConfig" + values.raw();
    }
}
