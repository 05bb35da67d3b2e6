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
        double momentum,
        double weightDecay,
        String wrInit,
        String refocusRule,
        int ranks,
        String device,
        int threadsPerRank,
        long seed,
        int checkpointEvery,
        int keepCheckpoints,
        int maxStepsPerEpoch,
        boolean force,
        String master) implements Serializable {

    public static final List<String> MODES = List.of("pretrain", "refocus");

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
        d.put("momentum", "0.9");
        d.put("weightDecay", "4e-5");
        d.put("wrInit", "xavier");
        d.put("refocusRule", "all");
        d.put("ranks", "2");
        d.put("device", "cpu");
        d.put("threadsPerRank", "1");
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
                v.doubleValue("lr", Double.MIN_VALUE, 100),
                v.doubleValue("momentum", 0, 1),
                v.doubleValue("weightDecay", 0, 1),
                v.oneOf("wrInit", List.of("xavier", "zero", "kaiming")),
                v.oneOf("refocusRule", List.of("all", "official")),
                v.positiveInt("ranks"),
                v.oneOf("device", List.of("cpu", "gpu")),
                v.positiveInt("threadsPerRank"),
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
            throw new ConfigException(v.origin("warmupEpochs") + ": " + c.warmupEpochs + " warmup epochs exceed "
                    + c.epochs + " epochs");
        }
        if (mode.equals("refocus") && c.checkpointIn.isEmpty()) {
            throw new ConfigException("mode refocus needs checkpointIn: the pretrained basis (.safetensors or .pth)");
        }
        return c;
    }

    public int batchPerRank() {
        return batch / ranks;
    }

    public boolean refocus() {
        return mode.equals("refocus");
    }

    /**
     * A hash of everything that shapes the optimisation trajectory; a checkpoint written under another hash is not
     * resumed from unless forced. Ranks, threads and checkpoint cadence may change between attempts.
     */
    public String trajectoryHash() {
        String key = String.join("|", mode, model, String.valueOf(numClasses), String.valueOf(inChannels),
                String.valueOf(imageSize), data, checkpointIn, String.valueOf(epochs), String.valueOf(warmupEpochs),
                String.valueOf(batch), String.valueOf(lr), String.valueOf(momentum), String.valueOf(weightDecay),
                wrInit, refocusRule, String.valueOf(seed), String.valueOf(maxStepsPerEpoch));
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
