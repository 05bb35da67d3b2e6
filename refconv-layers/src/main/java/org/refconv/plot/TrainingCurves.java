package org.refconv.plot;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.data.xy.XYSeries;

/**
 * A run's training curves as one PNG: on the left, over optimizer steps, the training loss (each step's loss thin
 * and grey, its exponential moving average bold, each epoch's mean loss as a marker at the epoch's last step) above
 * the learning rate; on the right, over epochs, validation top-1 above top-5, each on its own percent axis.
 *
 * <p>Plain data in, PNG bytes out: non-finite values (a NaN loss, an epoch not evaluated) are left out of the plot,
 * and a run with no finished epoch, or a single step, still gives a complete figure. This class lays the figure out
 * (title, the two charts side by side); {@link CurveCharts} builds the charts from the series {@link CurveSeries}
 * prepares.
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
        CurveCharts.perStep(steps, epochs).draw(g, new Rectangle2D.Double(0, TITLE_H, STEPS_W, HEIGHT - TITLE_H), left);
        CurveCharts.perEpoch(epochs)
                .draw(g, new Rectangle2D.Double(STEPS_W, TITLE_H, WIDTH - STEPS_W, HEIGHT - TITLE_H), right);
        g.dispose();
        List<Rectangle2D> areas = List.of(
                left.getPlotInfo().getSubplotInfo(0).getDataArea(),
                left.getPlotInfo().getSubplotInfo(1).getDataArea(),
                right.getPlotInfo().getSubplotInfo(0).getDataArea(),
                right.getPlotInfo().getSubplotInfo(1).getDataArea());
        return new Figure(img, areas);
    }

    /** TensorBoard's debiased exponential moving average of {@code values}: see {@link CurveSeries#ema}. */
    public static double[] ema(double[] values, double weight) {
        return CurveSeries.ema(values, weight);
    }

    /** The smoothing weight the figure uses for {@code n} losses: see {@link CurveSeries#smoothingWeight}. */
    public static double smoothingWeight(int n) {
        return CurveSeries.smoothingWeight(n);
    }

    /** A series thinned as the figure draws it: see {@link CurveSeries#envelope}. */
    static XYSeries envelope(String name, long[] x, double[] y) {
        return CurveSeries.envelope(name, x, y);
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
