package org.refconv.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.refconv.plot.TrainingCurves;

/**
 * The metrics of a run: per epoch (train loss, validation top-1/top-5, learning rate) as JSON lines, and the training
 * loss per step (averaged over buckets of steps, at most {@link #MAX_STEP_POINTS} points a run) as CSV; both rewritten
 * whole (files on HDFS cannot be appended to portably) and drawn as PNG curves next to them.
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

    static final int MAX_STEP_POINTS = 2000;

    private final RunFiles files;
    private final String title;
    private final List<String> lines = new ArrayList<>();
    private final List<TrainingCurves.StepPoint> steps = new ArrayList<>();
    private final long stepsPerPoint;
    private double bucketLoss;
    private boolean resumed;
    private int bucketSteps;

    private Metrics(RunFiles files, long totalSteps, String title) {
        this.files = files;
        this.title = title;
        this.stepsPerPoint = Math.max(1, (totalSteps + MAX_STEP_POINTS - 1) / MAX_STEP_POINTS);
    }

    /** Continues the metrics of an earlier attempt of the same run, if any. */
    static Metrics open(RunFiles files, long totalSteps, String title) throws IOException {
        Metrics m = new Metrics(files, totalSteps, title);
        for (String line : files.readMetrics().split("\n")) {
            if (!line.isBlank()) {
                m.lines.add(line);
            }
        }
        m.steps.addAll(parseSteps(files.readStepLosses()));
        return m;
    }

    /** A trained step's loss; a point is kept for every {@code stepsPerPoint} steps. */
    void step(long step, double loss, double lr) {
        if (!resumed) { // once: a resumed attempt retrains the steps after its checkpoint
            steps.removeIf(p -> p.step() >= step);
            resumed = true;
        }
        bucketLoss += loss;
        bucketSteps++;
        if (step % stepsPerPoint == 0) {
            steps.add(new TrainingCurves.StepPoint(step, bucketLoss / bucketSteps, lr));
            bucketLoss = 0;
            bucketSteps = 0;
        }
    }

    /** Writes the step losses kept so far (with each checkpoint, so a resumed run keeps its curve). */
    void writeSteps() throws IOException {
        StringBuilder csv = new StringBuilder("step,loss,lr\n");
        for (TrainingCurves.StepPoint p : steps) {
            csv.append(String.format(Locale.ROOT, "%d,%.6g,%.6g%n", p.step(), p.loss(), p.lr()));
        }
        files.writeStepLosses(csv.toString());
    }

    static List<TrainingCurves.StepPoint> parseSteps(String csv) {
        List<TrainingCurves.StepPoint> out = new ArrayList<>();
        for (String line : csv.split("\n")) {
            String[] f = line.strip().split(",");
            if (f.length == 3 && !f[0].equals("step")) {
                out.add(new TrainingCurves.StepPoint(
                        Long.parseLong(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])));
            }
        }
        return out;
    }

    void append(long epoch, long step, double trainLoss, double top1, double top5, double lr) throws IOException {
        Row r = new Row(epoch, step, trainLoss, top1, top5, lr);
        lines.removeIf(l -> l.startsWith("{\"epoch\":" + epoch + ","));
        lines.add(r.json());
        writeSteps();
        files.writeMetrics(String.join("\n", lines) + "\n", CurvePlot.render(title, Metrics.parse(lines), steps));
    }

    /** The epochs a run has finished so far ({@code <runOutput>/metrics.jsonl}; empty before the first). */
    public static List<Row> read(String runOutput, Configuration conf) throws IOException {
        return parse(List.of(new RunFiles(runOutput, conf).readMetrics().split("\n")).stream()
                .filter(l -> !l.isBlank())
                .toList());
    }

    /** Rows back from their JSON lines (the format above; nulls become NaN); other lines (events) are skipped. */
    static List<Row> parse(List<String> jsonLines) {
        List<Row> out = new ArrayList<>();
        for (String l : jsonLines) {
            if (!l.startsWith("{\"epoch\":")) {
                continue; // a driver's event line (a resize)
            }
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
