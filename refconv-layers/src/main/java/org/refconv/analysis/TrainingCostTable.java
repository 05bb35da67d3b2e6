package org.refconv.analysis;

import java.io.PrintStream;
import java.util.Locale;

import org.refconv.analysis.TrainingCostReport.Row;

/**
 * A {@link TrainingCostReport} written out: as a text table with a summary in millions of parameters and billions
 * of multiply-adds, and as CSV with the same columns, one line per replaced conv and one with the model's totals.
 */
final class TrainingCostTable {

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

    private static final String FORMAT = "%-28s %-9s %5s %5s %2s %4s %7s %6s %11s %16s %15s %15s %20s%n";

    private TrainingCostTable() {}

    static void print(TrainingCostReport report, PrintStream out) {
        out.printf(
                Locale.ROOT,
                "Training cost of RefConv (rule %s) on %s at %d px: %d replaced convs%n",
                report.rule().name().toLowerCase(Locale.ROOT),
                report.model(),
                report.imageSize(),
                report.rows().size());
        out.printf(Locale.ROOT, FORMAT, (Object[]) COLUMNS);
        for (Row r : report.rows()) {
            out.printf(Locale.ROOT, FORMAT, (Object[]) cells(r));
        }
        long inference = report.rows().stream().mapToLong(Row::inferenceParams).sum();
        long conv = report.rows().stream().mapToLong(Row::convFlops).sum();
        long wr = report.wrParams();
        long transform = report.transformFlops();
        Object[] total = totals("total (replaced convs)", wr, inference, inference + wr, conv, transform);
        out.printf(Locale.ROOT, FORMAT, total);
        out.printf(
                Locale.ROOT,
                "Model parameters: inference %s (%d), training-time %s (= inference + Wr %s)%n",
                millions(report.modelInferenceParams()),
                report.modelInferenceParams(),
                millions(report.modelTrainingParams()),
                millions(wr));
        out.printf(
                Locale.ROOT,
                "Trainable: %s with only the basis frozen (default), %s with everything but Wr frozen%n",
                millions(report.trainableBasisOnlyFrozen()),
                millions(wr));
        out.printf(
                Locale.ROOT,
                "Forward FLOPs (multiply-adds): all convs %s per image; refocusing transforms %s per "
                        + "step, independent of the batch size (%.2f%% of one image's conv FLOPs)%n",
                giga(report.modelConvFlops()),
                giga(transform),
                100.0 * transform / report.modelConvFlops());
    }

    static String csv(TrainingCostReport report) {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS).replace(' ', '_')).append('\n');
        for (Row r : report.rows()) {
            sb.append(String.join(",", cells(r))).append('\n');
        }
        String[] model = totals(
                "model",
                report.wrParams(),
                report.modelInferenceParams(),
                report.modelTrainingParams(),
                report.modelConvFlops(),
                report.transformFlops());
        return sb.append(String.join(",", model)).append('\n').toString();
    }

    /** One conv's line, in the order of {@link #COLUMNS}. */
    private static String[] cells(Row r) {
        return new String[] {
            r.layer(),
            r.kind(),
            str(r.cin()),
            str(r.cout()),
            str(r.kernel()),
            str(r.groups()),
            r.outH() + "x" + r.outW(),
            str(r.mapGroups()),
            str(r.wrParams()),
            str(r.inferenceParams()),
            str(r.trainingParams()),
            str(r.convFlops()),
            str(r.transformFlops())
        };
    }

    /** A totals line: the per-conv columns left blank. */
    private static String[] totals(String label, long wr, long inference, long training, long conv, long transform) {
        return new String[] {
            label, "", "", "", "", "", "", "", str(wr), str(inference), str(training), str(conv), str(transform)
        };
    }

    private static String str(long v) {
        return Long.toString(v);
    }

    static String millions(long n) {
        return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }

    private static String giga(long n) {
        return String.format(Locale.ROOT, "%.3fG", n / 1e9);
    }
}
