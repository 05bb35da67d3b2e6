package org.refconv.train;

import java.util.List;

import org.refconv.config.ConfigException;
import org.refconv.config.JobConfig;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.dist.GradientSync;
import org.refconv.engine.MemoryFormat;
import org.refconv.engine.Precision;

import static org.refconv.train.TrainKeys.*;

/**
 * Settings of the {@code train} job: what to train (mode, model), on what (data), how (recipe, ranks, device), and
 * where results go: the typed view of the keys declared in {@link TrainKeys} (conf/train.conf holds every key with its
 * default and a longer explanation). Loaded from a file ({@code --config conf/train.conf}) with {@code --key value} overrides
 * and validated before any cluster resources are taken.
 */
public final class TrainConfig extends JobConfig {

    private static final long serialVersionUID = 2L;

    /** The job's settings ({@link TrainKeys}). */
    public static final KeyTable KEYS = TrainKeys.KEYS;

    /** Settings that only a refocus run uses: set elsewhere, they are refused rather than silently ignored. */
    private static final List<Key<Boolean>> REFOCUS_ONLY = List.of(IDENTITY, TRAIN_BASIS, RANDOM_BASIS);

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
            throw new ConfigException(origin(BATCH) + ": the global batch " + batch() + " must be divisible by ranks = "
                    + ranks() + " (each rank takes batch / ranks)");
        }
        if (warmupEpochs() > epochs()) {
            throw new ConfigException(
                    origin(WARMUP_EPOCHS) + ": " + warmupEpochs() + " warmup epochs exceed " + epochs() + " epochs");
        }
        if (gradientCompression() != GradientSync.Compression.NONE && gradientSync() != GradientSync.Mode.OVERLAPPED) {
            throw new ConfigException(
                    origin(GRADIENT_COMPRESSION) + ": " + asStrings().get("gradientCompression")
                            + " compression needs gradientSync = overlapped (DDP's Reducer runs the compression hook)");
        }
        if (precision() == Precision.FP16 && device().equals("cpu")) {
            throw new ConfigException(
                    origin(PRECISION) + ": fp16 is for GPUs (with loss scaling); on the CPU use" + " bf16 or auto");
        }
        if (!mode().equals("pretrain") && checkpointIn().isEmpty()) {
            throw new ConfigException(
                    "mode " + mode() + " needs checkpointIn: the pretrained basis (.safetensors or .pth)");
        }
        if (!refocus()) {
            for (Key<Boolean> k : REFOCUS_ONLY) {
                if (!get(k).equals(Boolean.parseBoolean(k.defaultValue()))) {
                    throw new ConfigException(
                            origin(k) + ": applies to mode refocus only (this run is " + mode() + ")");
                }
            }
        }
    }

    /**
     * A hash of the settings that shape the optimisation trajectory ({@link Key.Kind#TRAJECTORY}): a checkpoint written
     * under another hash is not resumed from unless forced.
     */
    public String trajectoryHash() {
        return KEYS.hash(values());
    }

    /** The settings that shape the trajectory and differ from {@code before}'s ({@link KeyTable#trajectoryChanges}). */
    public List<String> trajectoryChangesFrom(TrainConfig before) {
        return KEYS.trajectoryChanges(before.values(), values());
    }

    public String mode() {
        return get(MODE);
    }

    public String model() {
        return get(MODEL);
    }

    public int numClasses() {
        return get(NUM_CLASSES);
    }

    public int inChannels() {
        return get(IN_CHANNELS);
    }

    public int imageSize() {
        return get(IMAGE_SIZE);
    }

    public String data() {
        return get(DATA);
    }

    public String checkpointIn() {
        return get(CHECKPOINT_IN);
    }

    public String output() {
        return get(OUTPUT);
    }

    public int epochs() {
        return get(EPOCHS);
    }

    public int warmupEpochs() {
        return get(WARMUP_EPOCHS);
    }

    public int batch() {
        return get(BATCH);
    }

    /** The learning rate of this run: finetuneLr for mode finetune, lr otherwise. */
    public double lr() {
        return get(mode().equals("finetune") ? FINETUNE_LR : LR);
    }

    public double momentum() {
        return get(MOMENTUM);
    }

    public double weightDecay() {
        return get(WEIGHT_DECAY);
    }

    public String wrInit() {
        return get(WR_INIT);
    }

    public String refocusRule() {
        return get(REFOCUS_RULE);
    }

    public boolean identity() {
        return get(IDENTITY);
    }

    public boolean trainBasis() {
        return get(TRAIN_BASIS);
    }

    public boolean randomBasis() {
        return get(RANDOM_BASIS);
    }

    public double adapterScale() {
        return get(ADAPTER_SCALE);
    }

    public int ranks() {
        return get(RANKS);
    }

    public String device() {
        return get(DEVICE);
    }

    public int threadsPerRank() {
        return get(THREADS_PER_RANK);
    }

    public GradientSync.Mode gradientSync() {
        return get(GRADIENT_SYNC);
    }

    public GradientSync.Compression gradientCompression() {
        return get(GRADIENT_COMPRESSION);
    }

    /** The precision asked for; each rank resolves {@code auto} for its device ({@link Placement}). */
    public Precision precision() {
        return get(PRECISION);
    }

    public MemoryFormat memoryFormat() {
        return get(MEMORY_FORMAT);
    }

    public String rankAddress() {
        return get(RANK_ADDRESS);
    }

    public java.time.Duration rendezvousTimeout() {
        return java.time.Duration.ofSeconds(get(RENDEZVOUS_TIMEOUT));
    }

    public long seed() {
        return get(SEED);
    }

    public int checkpointEvery() {
        return get(CHECKPOINT_EVERY);
    }

    public int keepCheckpoints() {
        return get(KEEP_CHECKPOINTS);
    }

    public int maxStepsPerEpoch() {
        return get(MAX_STEPS_PER_EPOCH);
    }

    public boolean force() {
        return get(FORCE);
    }

    public String master() {
        return get(MASTER);
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

    private TrainConfig(Values values) {
        super(values);
    }
}
