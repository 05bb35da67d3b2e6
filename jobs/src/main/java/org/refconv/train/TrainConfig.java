package org.refconv.train;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.refconv.data.config.ConfigException;
import org.refconv.data.config.ConfigValues;
import org.refconv.data.config.Settings;
import org.refconv.dist.GradientSync;
import org.refconv.engine.MemoryFormat;

/**
 * Settings of the {@code train} job: what to train (mode, model), on what (data), how (recipe, ranks, device), and
 * where results go. Loaded from a file ({@code --config conf/train.conf}) with {@code --key value} overrides and
 * validated before any cluster resources are taken. See conf/train.conf for each key's meaning.
 */
public record TrainConfig(
        String mode,
        String model,
        int numClasses,
        int inChannels,
        int imageSize,
        String data,
        String checkpointIn,
        String output,
        int epochs,
        int warmupEpochs,
        int batch,
        double lr,
        double finetuneLr,
        double momentum,
        double weightDecay,
        String wrInit,
        String refocusRule,
        boolean identity,
        boolean trainBasis,
        boolean randomBasis,
        double adapterScale,
        int ranks,
        String device,
        int threadsPerRank,
        GradientSync.Mode gradientSync,
        GradientSync.Compression gradientCompression,
        MemoryFormat memoryFormat,
        long seed,
        int checkpointEvery,
        int keepCheckpoints,
        int maxStepsPerEpoch,
        boolean force,
        String master)
        implements Serializable {

    /**
     * pretrain: the plain model, from scratch or from checkpointIn. The others all start from the basis checkpointIn:
     * refocus (RefConv), rep-adapter, retrain (the plain model trained again with the same recipe) and finetune (the
     * plain model with the small finetuneLr): the columns of the paper's Tables 4 and 5.
     */
    public static final List<String> MODES = List.of("pretrain", "refocus", "rep-adapter", "retrain", "finetune");

    /** Settings that only a refocus run uses, with their neutral values. */
    private static final Map<String, String> REFOCUS_ONLY =
            Map.of("identity", "true", "trainBasis", "false", "randomBasis", "false");

    static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("mode", "refocus");
        d.put("model", "");
        d.put("numClasses", "1000");
        d.put("inChannels", "3");
        d.put("imageSize", "224");
        d.put("data", "");
        d.put("checkpointIn", "");
        d.put("output", "");
        d.put("epochs", "100");
        d.put("warmupEpochs", "5");
        d.put("batch", "256");
        d.put("lr", "0.1");
        d.put("finetuneLr", "1e-4");
        d.put("momentum", "0.9");
        d.put("weightDecay", "4e-5");
        d.put("wrInit", "xavier");
        d.put("refocusRule", "all");
        d.put("identity", "true");
        d.put("trainBasis", "false");
        d.put("randomBasis", "false");
        d.put("adapterScale", "0.5");
        d.put("ranks", "2");
        d.put("device", "cpu");
        d.put("threadsPerRank", "1");
        d.put("gradientSync", "overlapped");
        d.put("gradientCompression", "none");
        d.put("memoryFormat", MemoryFormat.CHANNELS_LAST.configName());
        d.put("seed", "0");
        d.put("checkpointEvery", "500");
        d.put("keepCheckpoints", "3");
        d.put("maxStepsPerEpoch", "0");
        d.put("force", "false");
        d.put("master", "");
        return d;
    }

    public static TrainConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    /** Parses and checks everything that can be checked without touching a file system or a cluster. */
    public static TrainConfig from(Settings settings) {
        ConfigValues v = new ConfigValues(settings, DEFAULTS);
        String mode = v.oneOf("mode", MODES);
        TrainConfig c = new TrainConfig(
                mode,
                v.required("model"),
                v.positiveInt("numClasses"),
                v.positiveInt("inChannels"),
                v.positiveInt("imageSize"),
                v.required("data"),
                v.string("checkpointIn"),
                v.required("output"),
                v.positiveInt("epochs"),
                (int) v.rangedLong("warmupEpochs", 0, Integer.MAX_VALUE),
                v.positiveInt("batch"),
                v.doubleValue(mode.equals("finetune") ? "finetuneLr" : "lr", Double.MIN_VALUE, 100),
                v.doubleValue("finetuneLr", Double.MIN_VALUE, 100),
                v.doubleValue("momentum", 0, 1),
                v.doubleValue("weightDecay", 0, 1),
                v.oneOf("wrInit", List.of("xavier", "zero", "kaiming")),
                v.oneOf("refocusRule", List.of("all", "official")),
                v.bool("identity"),
                v.bool("trainBasis"),
                v.bool("randomBasis"),
                v.doubleValue("adapterScale", Double.MIN_VALUE, 100),
                v.positiveInt("ranks"),
                v.oneOf("device", List.of("cpu", "gpu")),
                v.positiveInt("threadsPerRank"),
                GradientSync.Mode.parse(v.oneOf("gradientSync", List.of("overlapped", "blocking"))),
                GradientSync.Compression.parse(v.oneOf("gradientCompression", List.of("none", "fp16"))),
                MemoryFormat.parse(v.oneOf("memoryFormat", MemoryFormat.CONFIG_NAMES)),
                v.longValue("seed"),
                v.positiveInt("checkpointEvery"),
                v.positiveInt("keepCheckpoints"),
                (int) v.rangedLong("maxStepsPerEpoch", 0, Integer.MAX_VALUE),
                v.bool("force"),
                v.string("master"));
        if (c.batch % c.ranks != 0) {
            throw new ConfigException(v.origin("batch") + ": the global batch " + c.batch
                    + " must be divisible by ranks = " + c.ranks + " (each rank takes batch / ranks)");
        }
        if (c.warmupEpochs > c.epochs) {
            throw new ConfigException(
                    v.origin("warmupEpochs") + ": " + c.warmupEpochs + " warmup epochs exceed " + c.epochs + " epochs");
        }
        if (c.gradientCompression != GradientSync.Compression.NONE && c.gradientSync != GradientSync.Mode.OVERLAPPED) {
            throw new ConfigException(v.origin("gradientCompression") + ": " + v.string("gradientCompression")
                    + " compression needs gradientSync = overlapped (DDP's Reducer runs the compression hook)");
        }
        if (!mode.equals("pretrain") && c.checkpointIn.isEmpty()) {
            throw new ConfigException(
                    "mode " + mode + " needs checkpointIn: the pretrained basis (.safetensors or .pth)");
        }
        if (!mode.equals("refocus")) {
            for (Map.Entry<String, String> e : REFOCUS_ONLY.entrySet()) {
                if (!v.string(e.getKey()).equalsIgnoreCase(e.getValue())) {
                    throw new ConfigException(
                            v.origin(e.getKey()) + ": applies to mode refocus only (this run is " + mode + ")");
                }
            }
        }
        return c;
    }

    public int batchPerRank() {
        return batch / ranks;
    }

    public boolean refocus() {
        return mode.equals("refocus");
    }

    /** Whether the run trains a re-parameterized model (RefConv or Rep-Adapter) that publish folds. */
    public boolean reparameterized() {
        return refocus() || mode.equals("rep-adapter");
    }

    /**
     * A hash of everything that shapes the optimisation trajectory; a checkpoint written under another hash is not
     * resumed from unless forced. Ranks, threads, the gradient sync (the same mean, summed in another order) and its
     * compression, the memory format (the same values, other strides) and checkpoint cadence may change between
     * attempts.
     */
    public String trajectoryHash() {
        String key = String.join(
                "|",
                mode,
                model,
                String.valueOf(numClasses),
                String.valueOf(inChannels),
                String.valueOf(imageSize),
                data,
                checkpointIn,
                String.valueOf(epochs),
                String.valueOf(warmupEpochs),
                String.valueOf(batch),
                String.valueOf(lr),
                String.valueOf(momentum),
                String.valueOf(weightDecay),
                wrInit,
                refocusRule,
                String.valueOf(identity),
                String.valueOf(trainBasis),
                String.valueOf(randomBasis),
                String.valueOf(adapterScale),
                String.valueOf(seed),
                String.valueOf(maxStepsPerEpoch));
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
