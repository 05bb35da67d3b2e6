package org.refconv.analysis;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.refconv.layers.RefConvOptions;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.RefocusRule;

/**
 * What refocusing a model costs at training time, per replaced conv and in total, in the columns of the RefConv
 * paper's Table 1: the transform's groups G, the refocusing parameters Wr, training-time vs inference parameters, and
 * forward FLOPs of the conv (per image) vs of the refocusing transform (once per step, whatever the batch size).
 *
 * <p>FLOPs are counted as multiply-adds, as the paper does (multiply by 2 for floating-point operations). The
 * transform is a conv over the basis viewed as one K x K image of n2d = Cout*Cin/g channels with a k x k kernel and G
 * groups: K^2 positions x n2d outputs x (n2d / G) x k^2 = K^2 k^2 Cin Cout multiply-adds, the same for dense,
 * grouped and depthwise convs. Inference parameters are the plain model's (the folded model is exactly that);
 * training-time parameters add Wr. Run: {@code TrainingCostReport --model resnet18 [--image-size 224]
 * [--classes 1000] [--in-channels 3] [--rule all|official] [--csv FILE]}.
 */
public final class TrainingCostReport {

    /**
     * One replaced conv. {@code basisParams} is its weight (frozen while training), {@code biasParams} its bias if
     * any; {@code convFlops} is per image, {@code transformFlops} per training step.
     */
    public record Row(
            String layer,
            String kind,
            int cin,
            int cout,
            int kernel,
            int groups,
            long outH,
            long outW,
            long mapGroups,
            long wrParams,
            long basisParams,
            long biasParams,
            long convFlops,
            long transformFlops) {

        public long inferenceParams() {
            return basisParams + biasParams;
        }

        public long trainingParams() {
            return inferenceParams() + wrParams;
        }
    }

    private final String model;
    private final int imageSize;
    private final RefocusRule rule;
    private final List<Row> rows;
    private final long modelInferenceParams;
    private final long modelConvFlops;

    TrainingCostReport(
            String model,
            int imageSize,
            RefocusRule rule,
            List<Row> rows,
            long modelInferenceParams,
            long modelConvFlops) {
        this.model = model;
        this.imageSize = imageSize;
        this.rule = rule;
        this.rows = List.copyOf(rows);
        this.modelInferenceParams = modelInferenceParams;
        this.modelConvFlops = modelConvFlops;
    }

    /** Counts {@code model}'s training cost, as {@link TrainingCostCounter} says. */
    public static TrainingCostReport of(
            String model, int inChannels, int numClasses, int imageSize, RefocusRule rule, RefConvOptions options) {
        return TrainingCostCounter.count(model, inChannels, numClasses, imageSize, rule, options);
    }

    public List<Row> rows() {
        return rows;
    }

    /** Parameters of the plain (and of the folded) model: what inference costs. */
    public long modelInferenceParams() {
        return modelInferenceParams;
    }

    /** The extra parameters while training: the sum of the Wr sizes. */
    public long wrParams() {
        return rows.stream().mapToLong(Row::wrParams).sum();
    }

    /** Everything the refocused model holds while training: inference parameters (the basis frozen) plus Wr. */
    public long modelTrainingParams() {
        return modelInferenceParams + wrParams();
    }

    /** Trained under the default freeze policy (basis only frozen): everything but the replaced convs' weights, plus Wr. */
    public long trainableBasisOnlyFrozen() {
        return modelInferenceParams - rows.stream().mapToLong(Row::basisParams).sum() + wrParams();
    }

    public long modelConvFlops() {
        return modelConvFlops;
    }

    public long transformFlops() {
        return rows.stream().mapToLong(Row::transformFlops).sum();
    }

    String model() {
        return model;
    }

    int imageSize() {
        return imageSize;
    }

    RefocusRule rule() {
        return rule;
    }

    /** A table of the replaced convs with their totals, then the model's totals in millions and billions. */
    public void printTable(PrintStream out) {
        TrainingCostTable.print(this, out);
    }

    /** The same columns as CSV: a header, one line per replaced conv, and one with the model's totals. */
    public String csv() {
        return TrainingCostTable.csv(this);
    }

    static String millions(long n) {
        return TrainingCostTable.millions(n);
    }

    public static void main(String[] args) throws IOException {
        String model = "resnet18";
        int imageSize = 224;
        int classes = 1000;
        int inChannels = 3;
        RefocusRule rule = RefocusRule.ALL;
        String csvFile = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--model" -> model = value;
                case "--image-size" -> imageSize = Integer.parseInt(value);
                case "--classes" -> classes = Integer.parseInt(value);
                case "--in-channels" -> inChannels = Integer.parseInt(value);
                case "--rule" -> rule = RefocusRule.parse(value);
                case "--csv" -> csvFile = value;
                default ->
                    throw new IllegalArgumentException("unknown option " + args[i] + "; usage: --model NAME ("
                            + String.join(", ", ModelZoo.names()) + ") --image-size N --classes N --in-channels N "
                            + "--rule all|official --csv FILE");
            }
            if (value == null) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            i++;
        }
        TrainingCostReport report = of(model, inChannels, classes, imageSize, rule, RefConvOptions.DEFAULT);
        report.printTable(System.out);
        if (csvFile == null) {
            System.out.println();
            System.out.print(report.csv());
        } else {
            Files.writeString(Path.of(csvFile), report.csv(), StandardCharsets.UTF_8);
            System.out.println("CSV written to " + csvFile);
        }
    }
}
