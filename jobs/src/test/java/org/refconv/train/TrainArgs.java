package org.refconv.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A train-job argument list for tests, {@code --key value} pairs in the order first set; setting a key again replaces
 * its value, so a test states only what differs from a common run.
 */
public final class TrainArgs {

    private final Map<String, String> values = new LinkedHashMap<>();

    private TrainArgs() {}

    /** {@code --model --data --output}: what every train run names. */
    public static TrainArgs run(String model, String data, String output) {
        return new TrainArgs().with("model", model).with("data", data).with("output", output);
    }

    /** A run of {@code mode} on the 10-class, 32 px Fashion-MNIST images the cluster tests prepare. */
    public static TrainArgs fashion(String mode, String model, String data, String output) {
        return new TrainArgs()
                .with("mode", mode)
                .with("model", model)
                .with("numClasses", 10)
                .with("imageSize", 32)
                .with("data", data)
                .with("output", output);
    }

    /** A 10-class, 32 px run on the shipped conf/train.conf, as a user's command line starts from it. */
    public static TrainArgs shipped(String model, String data, String output) {
        String conf = java.nio.file.Path.of(System.getProperty("refconv.repo.root", ".."), "conf", "train.conf")
                .toString();
        return new TrainArgs()
                .with("config", conf)
                .with("model", model)
                .with("numClasses", 10)
                .with("imageSize", 32)
                .with("data", data)
                .with("output", output);
    }

    /** A short run: no warm-up, learning rate 0.02, the given epochs, global batch, ranks and steps per epoch. */
    public TrainArgs shortRun(int epochs, int batch, int ranks, int maxStepsPerEpoch) {
        return with("epochs", epochs)
                .with("warmupEpochs", 0)
                .with("batch", batch)
                .with("lr", "0.02")
                .with("ranks", ranks)
                .with("maxStepsPerEpoch", maxStepsPerEpoch);
    }

    public TrainArgs with(String key, Object value) {
        values.put(key, String.valueOf(value));
        return this;
    }

    /** Arguments as a command line has them: {@code --key value} pairs. */
    public TrainArgs and(String... args) {
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("a key without a value: " + String.join(" ", args));
        }
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("not a --key: " + args[i]);
            }
            with(args[i].substring(2), args[i + 1]);
        }
        return this;
    }

    public String[] array() {
        return values.entrySet().stream()
                .flatMap(e -> java.util.stream.Stream.of("--" + e.getKey(), e.getValue()))
                .toArray(String[]::new);
    }

    public TrainConfig config() {
        return TrainConfig.fromArgs(array());
    }
}
