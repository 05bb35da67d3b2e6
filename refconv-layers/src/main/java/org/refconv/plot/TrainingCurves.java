package org.refconv.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A run's training curves as one PNG: on the left, over optimizer steps, the training loss (each step's loss thin
 * and grey, its exponential moving average bold, each epoch's mean loss as a marker at the epoch's last step) above
 * the learning rate; on the right, over epochs, validation top-1 above top-5, each on its own percent axis.
 *
 * <p>Plain data in, PNG bytes out: non-finite values (a NaN loss, an epoch not evaluated) are left out of the plot,
 * and a run with no finished epoch, or a single step, still gives a complete figure.
 */
public final class TrainingCurves {

    /** One optimizer step: its number, the loss of its batch and the learning rate it used (NaN: not known). */
    public record StepPoint(long step, double loss, double lr) {}

    /**
     * One finished epoch: its number, the global step it ended at, the mean training loss over its steps, and the
     * validation top-1 and top-5 accuracies as fractions in [0, 1] (drawn in percent). NaN: not known.
     */
    public record EpochPoint(long epoch, long lastStep, double meanLoss, double top1, double top5) {}

    /** Width of the figure in pixels. */
    public static final int WIDTH = 1500;

    /** Height of the figure in pixels. */
    public static final int HEIGHT = 860;

    private static final int TITLE_H = 64;
    private static final int BUCKETS = 1200;
    private static final int STEPS_W = 900;
    // Each step's loss in grey under the smoothed curve in colour: distinct hues, so neither reads as the other.
    static final Color RAW = new Color(0xA0A0A0);
    static final Color SMOOTHED = Charts.BLUE;
    static final Color EPOCH_MEAN = Charts.ORANGE;
    static final Color LR = Charts.GREEN;
    static final Color TOP1 = Charts.BLUE;
    static final Color TOP5 = Charts.RED;

    private TrainingCurves() {}

    /**
     * The figure for {@code title} (say the run id, model and mode); {@code steps} and {@code epochs} in increasing
     * order, either may be empty.
     */
    public static byte[] render(String title, List<StepPoint> steps, List<EpochPoint> epochs) {
        return Charts.png(draw(title, steps, epochs).image());
    }

    /** The figure and where each plot's data area landed on it: loss, learning rate, top-1, top-5. */
    record Figure(BufferedImage image, List<Rectangle2D> dataAreas) {}

    static Figure draw(String title, List<StepPoint> steps, List<EpochPoint> epochs) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Charts.canvas(img);
        Charts.drawTitle(g, title, summary(steps, epochs), new Rectangle2D.Double(0, 4, WIDTH, TITLE_H - 4));
        ChartRenderingInfo left = new ChartRenderingInfo();
        ChartRenderingInfo right = new ChartRenderingInfo();
        stepChart(steps, epochs).draw(g, new Rectangle2D.Double(0, TITLE_H, STEPS_W, HEIGHT - TITLE_H), left);
        epochChart(epochs).draw(g, new Rectangle2D.Double(STEPS_W, TITLE_H, WIDTH - STEPS_W, HEIGHT - TITLE_H), right);
        g.dispose();
        List<Rectangle2D> areas = List.of(
                left.getPlotInfo().getSubplotInfo(0).getDataArea(),
                left.getPlotInfo().getSubplotInfo(1).getDataArea(),
                right.getPlotInfo().getSubplotInfo(0).getDataArea(),
                right.getPlotInfo().getSubplotInfo(1).getDataArea());
        return new Figure(img, areas);
    }

    /**
     * TensorBoard's smoothing: an exponential moving average with {@code weight} in [0, 1) on the past, divided by
     * {@code 1 - weight^n} after n values so that the first values are not pulled towards 0. A non-finite value gives
     * NaN at its place and does not enter the average.
     */
    public static double[] ema(double[] values, double weight) {
        if (!(weight >= 0 && weight < 1)) {
            throw new IllegalArgumentException("EMA weight must be in [0, 1), got " + weight);
        }
        double[] out = new double[values.length];
        double last = 0;
        double debias = 1;
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                out[i] = Double.NaN;
                continue;
            }
            last = last * weight + (1 - weight) * values[i];
            debias *= weight;
            out[i] = last / (1 - debias);
        }
        return out;
    }

    /**
     * The smoothing weight for {@code n} losses: an average over about 1/50 of the run (a weight w averages over
     * about 1/(1 - w) steps), within TensorBoard's slider: at least its default 0.6, at most 0.999.
     */
    public static double smoothingWeight(int n) {
        return Math.max(0.6, Math.min(0.999, 1 - 50.0 / Math.max(1, n)));
    }

    private static JFreeChart stepChart(List<StepPoint> steps, List<EpochPoint> epochs) {
        int n = steps.size();
        long[] x = new long[n];
        double[] losses = new double[n];
        double[] rates = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = steps.get(i).step();
            losses[i] = steps.get(i).loss();
            rates[i] = steps.get(i).lr();
        }
        int finiteLosses = (int) Arrays.stream(losses).filter(Double::isFinite).count();
        double weight = smoothingWeight(finiteLosses);
        XYSeries raw = envelope("loss", x, losses);
        XYSeries smoothed =
                envelope(String.format(Locale.ROOT, "loss, smoothed (EMA %.3g)", weight), x, ema(losses, weight));
        XYSeries lr = envelope("learning rate", x, rates);
        XYSeries epochMean = new XYSeries("epoch mean loss", false, true);
        for (EpochPoint e : epochs) {
            addFinite(epochMean, e.lastStep(), e.meanLoss());
        }

        XYSeriesCollection lossData = new XYSeriesCollection();
        lossData.addSeries(raw);
        lossData.addSeries(smoothed);
        lossData.addSeries(epochMean);
        XYLineAndShapeRenderer lossLines = new XYLineAndShapeRenderer();
        line(lossLines, 0, RAW, 1.0f, raw.getItemCount() <= 1);
        line(lossLines, 1, SMOOTHED, 2.5f, false);
        // Without per-step losses the epoch means are the only curve: join them; otherwise they mark the raw curve.
        line(lossLines, 2, EPOCH_MEAN, 1.5f, true);
        lossLines.setSeriesLinesVisible(2, raw.getItemCount() == 0);
        lossLines.setSeriesShape(2, dot(epochMean.getItemCount() > 30 ? 6 : 9));
        // Only curves that are drawn are listed; the smoothed curve of a single point is that point.
        lossLines.setSeriesVisibleInLegend(0, raw.getItemCount() > 0);
        lossLines.setSeriesVisibleInLegend(1, raw.getItemCount() > 1);
        lossLines.setSeriesVisibleInLegend(2, epochMean.getItemCount() > 0);
        XYPlot lossPlot = plot(lossData, lossLines, "training loss", "no training step recorded yet");

        XYLineAndShapeRenderer lrLine = new XYLineAndShapeRenderer();
        line(lrLine, 0, LR, 2.0f, lr.getItemCount() <= 1);
        XYPlot lrPlot = plot(new XYSeriesCollection(lr), lrLine, "learning rate", "no learning rate recorded");
        ((NumberAxis) lrPlot.getRangeAxis()).setAutoRangeIncludesZero(true);

        NumberAxis stepAxis = Charts.axis("step", true, 10);
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(stepAxis);
        combined.setGap(14);
        combined.add(lossPlot, 3);
        combined.add(lrPlot, 1);
        return chart("Training (per step)", combined);
    }

    private static JFreeChart epochChart(List<EpochPoint> epochs) {
        XYSeries top1 = new XYSeries("val top-1", false, true);
        XYSeries top5 = new XYSeries("val top-5", false, true);
        for (EpochPoint e : epochs) {
            addFinite(top1, e.epoch(), 100 * e.top1());
            addFinite(top5, e.epoch(), 100 * e.top5());
        }
        XYLineAndShapeRenderer r1 = new XYLineAndShapeRenderer();
        line(r1, 0, TOP1, 2.0f, true);
        XYLineAndShapeRenderer r5 = new XYLineAndShapeRenderer();
        line(r5, 0, TOP5, 2.0f, true);
        String none = "no epoch evaluated yet";
        XYPlot p1 = plot(new XYSeriesCollection(top1), r1, "top-1 (%)", none);
        XYPlot p5 = plot(new XYSeriesCollection(top5), r5, "top-5 (%)", none);
        for (XYPlot p : List.of(p1, p5)) {
            NumberAxis axis = (NumberAxis) p.getRangeAxis();
            axis.setAutoRangeMinimumSize(1.0); // one percentage point: a flat curve is not blown up into noise
            if (epochs.isEmpty()) {
                axis.setRange(0, 100);
            }
        }
        NumberAxis epochAxis = Charts.axis("epoch", true, 10);
        epochAxis.setAutoRangeMinimumSize(2.0);
        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(epochAxis);
        combined.setGap(14);
        combined.add(p1, 1);
        combined.add(p5, 1);
        return chart("Validation (per epoch)", combined);
    }

    private static JFreeChart chart(String title, CombinedDomainXYPlot plot) {
        for (Object o : plot.getSubplots()) {
            Charts.style((XYPlot) o);
        }
        JFreeChart chart = Charts.chart(title, plot, true);
        chart.setPadding(new RectangleInsets(4, 8, 4, 16));
        return chart;
    }

    private static XYPlot plot(XYSeriesCollection data, XYLineAndShapeRenderer renderer, String label, String none) {
        XYPlot plot = new XYPlot(data, null, Charts.axis(label, false, 8), renderer);
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD); // later series on top: smoothed over raw
        plot.setNoDataMessage(none);
        plot.setNoDataMessageFont(Charts.LABEL);
        plot.setNoDataMessagePaint(new Color(0x666666));
        return plot;
    }

    private static void line(XYLineAndShapeRenderer r, int series, Color colour, float width, boolean shapes) {
        r.setSeriesPaint(series, colour);
        r.setSeriesStroke(series, new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        r.setSeriesShapesVisible(series, shapes);
        r.setSeriesShape(series, dot(7));
        r.setDrawSeriesLineAsPath(true);
    }

    private static Shape dot(double size) {
        return new Ellipse2D.Double(-size / 2, -size / 2, size, size);
    }

    /**
     * The finite points of {@code (x, y)} as a series, thinned when there are more than about two per pixel column:
     * then each of {@value #BUCKETS} slices of the x range keeps its lowest and highest point in their order, the
     * envelope a line drawn at that resolution shows (stroking every point of a long run is slow: docs/plots.md).
     */
    static XYSeries envelope(String name, long[] x, double[] y) {
        XYSeries series = new XYSeries(name, false, true);
        int finite = (int) Arrays.stream(y).filter(Double::isFinite).count();
        if (finite <= 2 * BUCKETS) {
            for (int i = 0; i < x.length; i++) {
                addFinite(series, x[i], y[i]);
            }
            return series;
        }
        long first = Arrays.stream(x).min().orElseThrow();
        double span = Arrays.stream(x).max().orElseThrow() - first + 1.0;
        int[] low = new int[BUCKETS];
        int[] high = new int[BUCKETS];
        Arrays.fill(low, -1);
        Arrays.fill(high, -1);
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(y[i])) {
                continue;
            }
            int b = (int) Math.min(BUCKETS - 1, (x[i] - first) * BUCKETS / span);
            if (low[b] < 0 || y[i] < y[low[b]]) {
                low[b] = i;
            }
            if (high[b] < 0 || y[i] > y[high[b]]) {
                high[b] = i;
            }
        }
        for (int b = 0; b < BUCKETS; b++) {
            if (low[b] >= 0) {
                int a = Math.min(low[b], high[b]);
                int c = Math.max(low[b], high[b]);
                series.add(x[a], y[a], false);
                if (c != a) {
                    series.add(x[c], y[c], false);
                }
            }
        }
        return series;
    }

    private static void addFinite(XYSeries series, long x, double y) {
        if (Double.isFinite(y)) {
            series.add(x, y, false);
        }
    }

    /** The last known values, so that the headline numbers read without the axes. */
    private static String summary(List<StepPoint> steps, List<EpochPoint> epochs) {
        StringBuilder sb = new StringBuilder();
        if (!steps.isEmpty()) {
            sb.append("step ").append(steps.get(steps.size() - 1).step());
        }
        if (!epochs.isEmpty()) {
            EpochPoint e = epochs.get(epochs.size() - 1);
            if (sb.length() > 0) {
                sb.append("  ·  ");
            }
            sb.append("epoch ").append(e.epoch());
            if (Double.isFinite(e.meanLoss())) {
                sb.append(String.format(Locale.ROOT, ": mean loss %.4g", e.meanLoss()));
            }
            if (Double.isFinite(e.top1())) {
                sb.append(String.format(Locale.ROOT, ", val top-1 %.2f%%", 100 * e.top1()));
            }
            if (Double.isFinite(e.top5())) {
                sb.append(String.format(Locale.ROOT, ", top-5 %.2f%%", 100 * e.top5()));
            }
        }
        return sb.toString();
    }
}
