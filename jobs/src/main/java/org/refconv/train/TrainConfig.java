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

import static org.refconv.train.TrainKeys.*;

/**
 * Settings of the {@code train} job: what to train (mode, model), on what (data), how (recipe, ranks, device), and
 * where results go: the typed view of the keys declared in {@link TrainKeys} (conf/train.conf holds every key with its
 * default and a longer explanation). Loaded from a file ({@code --config conf/train.conf}) with {@code --key value} overrides
 * and validated before any cluster resources are taken.
 */
public final class TrainConfig implements Serializable {

    private static final long serialVersionUID = 2L;

    /** The job's settings ({@link TrainKeys}). */
    public static final KeyTable KEYS = TrainKeys.KEYS;

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
