package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Per-epoch metrics of a run (train loss, validation top-1/top-5, learning rate) as JSON lines, rewritten whole
 * each epoch (files on HDFS cannot be appended to portably) and drawn as PNG curves next to them.
 */
public final class Metrics {

    /** One epoch of a run. */
    public record Row(long epoch, long step, double trainLoss, double top1, double top5, double lr) {
        String json() {
            return String.format(
                    Locale.ROOT,
                    "{\"epoch\":%d,\"step\":%d,\"trainLoss\":%s,\"top1\":%s,\"top5\":%s,\"lr\":%s}",
                    epoch,
                    step,
                    num(trainLoss),
                    num(top1),
                    num(top5),
                    num(lr));
        }

        private static String num(double v) {
            return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "null";
        }
    }

    private final RunFiles files;
    private final List<String> lines = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();

    private Metrics(RunFiles files) {
        this.files = files;
    }

    /** Continues the metrics of an earlier attempt of the same run, if any. */
    static Metrics open(RunFiles files) throws IOException {
        Metrics m = new Metrics(files);
        for (String line : files.readText(RunFiles.METRICS).split("\n")) {
            if (!line.isBlank()) {
                m.lines.add(line);
            }
        }
        return m;
    }

    void append(long epoch, long step, double trainLoss, double top1, double top5, double lr) throws IOException {
        Row r = new Row(epoch, step, trainLoss, top1, top5, lr);
        rows.add(r);
        lines.removeIf(l -> l.startsWith("{\"epoch\":" + epoch + ","));
        lines.add(r.json());
        files.writeText(RunFiles.METRICS, String.join("\n", lines) + "\n");
        String runId = new Path(files.uri(RunFiles.METRICS)).getParent().getName();
        files.writeBytes(RunFiles.CURVES, CurvePlot.render(runId, Metrics.parse(lines)));
    }

    /** The epochs a run has finished so far ({@code <runOutput>/metrics.jsonl}; empty before the first). */
    public static List<Row> read(String runOutput, Configuration conf) throws IOException {
        return parse(
                List.of(new RunFiles(runOutput, conf).readText(RunFiles.METRICS).split("\n")).stream()
                        .filter(l -> !l.isBlank())
                        .toList());
    }

    /** Rows back from their JSON lines (the format above; nulls become NaN). */
    static List<Row> parse(List<String> jsonLines) {
        List<Row> out = new ArrayList<>();
        for (String l : jsonLines) {
            out.add(new Row(
                    (long) field(l, "epoch"),
                    (long) field(l, "step"),
                    field(l, "trainLoss"),
                    field(l, "top1"),
                    field(l, "top5"),
                    field(l, "lr")));
        }
        return out;
    }

    private static double field(String json, String name) {
        return JsonLines.number(json, name);
    }
}
