package org.refconv.retrain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;
import org.refconv.config.ConfigException;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.data.demo.FashionMnistDemoDataset;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.TRAJECTORY;

/**
 * The README's main command ({@code deploy/bin/demo}, conf/pipeline-demo.conf): writes Debian's Fashion-MNIST as an
 * ImageNet-style tree at the pipeline's {@code input} (a local path), then runs the retraining pipeline on it. Its
 * own keys are the three below; every other key is the pipeline's.
 */
public final class DemoJob {

    private static final KeyTable.Builder TABLE = KeyTable.builder("demo");

    public static final Key<String> FASHION_MNIST = TABLE.add(string(
            "fashionMnist", FashionMnistDemoDataset.DEFAULT_SOURCE, TRAJECTORY, "Debian's Fashion-MNIST folder"));
    public static final Key<Integer> PER_CLASS = TABLE.add(
            intIn("fashionMnistPerClass", 0, 0, Integer.MAX_VALUE, TRAJECTORY, "train images per class (0: all)"));
    public static final Key<Integer> SIZE = TABLE.add(intIn("fashionMnistSize", 32, 8, 4096, TRAJECTORY, "image size"));
    public static final KeyTable KEYS = TABLE.build();

    private DemoJob() {}

    public static void main(String[] args) {
        run(args).exit();
    }

    /** The demo's own settings and the pipeline's. */
    public record Config(Values demo, PipelineConfig pipeline) {}

    /** Splits the settings into the demo's keys and the pipeline's, and parses both. */
    public static Config parse(Settings all) {
        Settings demo = new Settings();
        Settings rest = new Settings();
        all.asMap().forEach((k, s) -> (KEYS.contains(k) ? demo : rest).put(k, s.value(), s.origin()));
        return new Config(KEYS.parse(demo), PipelineConfig.from(rest));
    }

    public static ExitCode run(String[] args) {
        try {
            return JobMain.parse("demo", () -> {
                        Config c = parse(Settings.fromArgs(args));
                        writeTree(c.demo(), c.pipeline());
                        return c.pipeline();
                    })
                    .map(PipelineJob::run)
                    .orElse(ExitCode.BAD_CONFIG);
        } catch (IOException e) {
            System.err.println("demo: cannot write the Fashion-MNIST tree: " + e.getMessage());
            return ExitCode.FAILED;
        }
    }

    /** Writes the demo tree to the pipeline's input unless it is there already. */
    static void writeTree(Values demo, PipelineConfig pipeline) throws IOException {
        String input = pipeline.input();
        if (input.isEmpty() || input.contains("://") && !input.startsWith("file:")) {
            throw new ConfigException("input: the Fashion-MNIST demo tree is written to 'input', which must then be a"
                    + " local path (got '" + input + "')");
        }
        Path source = Path.of(demo.get(FASHION_MNIST));
        if (!Files.exists(source.resolve("train-images-idx3-ubyte.gz"))) {
            throw new ConfigException(demo.origin(FASHION_MNIST) + ": " + source
                    + " has no Fashion-MNIST (apt-get install dataset-fashion-mnist)");
        }
        Path tree = Path.of(new org.apache.hadoop.fs.Path(input).toUri().getPath());
        DatasetStage.writeDemoTree(
                new FashionMnistDemoDataset.Options(source, tree, demo.get(SIZE), demo.get(PER_CLASS), 95, false));
    }
}
