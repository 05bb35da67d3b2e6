package org.refconv.analysis;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Tensors;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

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

    private TrainingCostReport(
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

    /** Builds the model plain and refocused, and runs one image through the refocused one to get every map size. */
    public static TrainingCostReport of(
            String model, int inChannels, int numClasses, int imageSize, RefocusRule rule, RefConvOptions options) {
        Classifier plain = ModelZoo.create(model, ConvFactory.plain(), inChannels, numClasses, imageSize);
        Refocuser refocuser = new Refocuser(rule, options);
        ConvRecorder recorder = new ConvRecorder(refocuser);
        Classifier refocused = ModelZoo.create(model, recorder, inChannels, numClasses, imageSize);
        refocused.train(false);
        try (NoGrad ignored = NoGrad.enter()) {
            refocused.forward(Tensors.zeros(1, inChannels, imageSize, imageSize));
        }
        List<Row> rows = new ArrayList<>();
        long convFlops = 0;
        for (ConvRecorder.Entry e : recorder.entries().values()) {
            Conv2dSpec s = e.spec;
            long perImage =
                    e.outH * e.outW * s.outChannels() * (s.inChannels() / s.groups()) * s.kernelH() * s.kernelW();
            convFlops += perImage;
            RefConv2d layer = refocuser.layers().get(s.name());
            if (layer == null) {
                continue;
            }
            long k = layer.options().mapKernel();
            long transform = (long) s.kernelH() * s.kernelW() * layer.n2d() * (layer.n2d() / layer.mapGroups()) * k * k;
            long basis = (long) s.outChannels() * (s.inChannels() / s.groups()) * s.kernelH() * s.kernelW();
            rows.add(new Row(
                    s.name(),
                    kind(s, e.stem),
                    s.inChannels(),
                    s.outChannels(),
                    s.kernelH(),
                    s.groups(),
                    e.outH,
                    e.outW,
                    layer.mapGroups(),
                    layer.refocusingWeight().numel(),
                    basis,
                    s.bias() ? s.outChannels() : 0,
                    perImage,
                    transform));
        }
        return new TrainingCostReport(model, imageSize, rule, rows, parameterCount(plain), convFlops);
    }

    private static String kind(Conv2dSpec s, boolean stem) {
        if (stem) {
            return "stem";
        }
        if (s.isDepthwise()) {
            return "depthwise";
        }
        return s.groups() > 1 ? "grouped" : "dense";
    }

    private static long parameterCount(Module m) {
        StringTensorDict params = m.named_parameters(true);
        long n = 0;
        for (long i = 0; i < params.size(); i++) {
            n += params.get(i).value().numel();
        }
        return n;
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

    private static final String[] COLUMNS = {
        "layer",
        "type",
        "Cin",
        "Cout",
        "K",
        "g",
        "out",
        "G",
        "Wr params",
        "inference params",
        "training params",
        "conv FLOPs/img",
        "transform FLOPs/step"
    };

    public void printTable(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "Training cost of RefConv (rule %s) on %s at %d px: %d replaced convs%n",
                rule.name().toLowerCase(Locale.ROOT),
                model,
                imageSize,
                rows.size());
        String fmt = "%-28s %-9s %5s %5s %2s %4s %7s %6s %11s %16s %15s %15s %20s%n";
        out.printf(Locale.ROOT, fmt, (Object[]) COLUMNS);
        for (Row r : rows) {
            out.printf(Locale.ROOT, fmt, cells(r));
        }
        long inference = rows.stream().mapToLong(Row::inferenceParams).sum();
        long conv = rows.stream().mapToLong(Row::convFlops).sum();
        out.printf(Locale.ROOT, fmt, sumCells("total (replaced convs)", inference, inference + wrParams(), conv));
        out.printf(
                Locale.ROOT,
                "Model parameters: inference %s (%d), training-time %s (= inference + Wr %s)%n",
                millions(modelInferenceParams),
                modelInferenceParams,
                millions(modelTrainingParams()),
                millions(wrParams()));
        out.printf(
                Locale.ROOT,
                "Trainable: %s with only the basis frozen (default), %s with everything but Wr frozen%n",
                millions(trainableBasisOnlyFrozen()),
                millions(wrParams()));
        out.printf(
                Locale.ROOT,
                "Forward FLOPs (multiply-adds): all convs %s per image; refocusing transforms %s per "
                        + "step, independent of the batch size (%.2f%% of one image's conv FLOPs)%n",
                giga(modelConvFlops),
                giga(transformFlops()),
                100.0 * transformFlops() / modelConvFlops);
    }

    public String csv() {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS).replace(' ', '_')).append('\n');
        for (Row r : rows) {
            sb.append(csvLine(cells(r)));
        }
        sb.append(csvLine(sumCells("model", modelInferenceParams, modelTrainingParams(), modelConvFlops)));
        return sb.toString();
    }

    /** A replaced conv's line of the table and the CSV, one cell per column. */
    private static Object[] cells(Row r) {
        return new Object[] {
            r.layer(),
            r.kind(),
            r.cin(),
            r.cout(),
            r.kernel(),
            r.groups(),
            r.outH() + "x" + r.outW(),
            r.mapGroups(),
            r.wrParams(),
            r.inferenceParams(),
            r.trainingParams(),
            r.convFlops(),
            r.transformFlops()
        };
    }

    /** A sum line: its label, the per-layer columns blank, then Wr, inference, training and the FLOPs. */
    private Object[] sumCells(String label, long inference, long training, long conv) {
        List<Object> cells = new ArrayList<>(List.of(label));
        cells.addAll(Collections.nCopies(7, ""));
        cells.addAll(List.of(wrParams(), inference, training, conv, transformFlops()));
        return cells.toArray();
    }

    private static String csvLine(Object[] cells) {
        return Arrays.stream(cells).map(String::valueOf).collect(Collectors.joining(",")) + "\n";
    }

    static String millions(long n) {
        return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }

    private static String giga(long n) {
        return String.format(Locale.ROOT, "%.3fG", n / 1e9);
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
