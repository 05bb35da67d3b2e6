package org.refconv.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.util.List;
import java.util.Locale;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.refconv.plot.TrainingCurves.EpochPoint;
import org.refconv.plot.TrainingCurves.StepPoint;

import static org.refconv.plot.CurveSeries.addFinite;

/**
 * The two JFreeChart charts of a run's training curves: per step, the loss (raw, smoothed, epoch means) above the
 * learning rate; per epoch, validation top-1 above top-5. Where they go on the figure is {@link TrainingCurves}'s.
 */
final class CurveCharts {

    private CurveCharts() {}

    /** Over optimizer steps: the loss, 3/4 of the height, above the learning rate on the same step axis. */
    static JFreeChart perStep(List<StepPoint> steps, List<EpochPoint> epochs) {
        int n = steps.size();
        long[] x = new long[n];
        double[] losses = new double[n];
        double[] rates = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = steps.get(i).step();
            losses[i] = steps.get(i).loss();
            rates[i] = steps.get(i).lr();
        }
        double weight = CurveSeries.smoothingWeight(CurveSeries.finiteCount(losses));
        XYSeries raw = CurveSeries.envelope("loss", x, losses);
        XYSeries smoothed = CurveSeries.envelope(
                String.format(Locale.ROOT, "loss, smoothed (EMA %.3g)", weight), x, CurveSeries.ema(losses, weight));
        XYSeries lr = CurveSeries.envelope("learning rate", x, rates);
        XYSeries epochMean = new XYSeries("epoch mean loss", false, true);
        for (EpochPoint e : epochs) {
            addFinite(epochMean, e.lastStep(), e.meanLoss());
        }

        XYSeriesCollection lossData = new XYSeriesCollection();
        lossData.addSeries(raw);
        lossData.addSeries(smoothed);
        lossData.addSeries(epochMean);
        XYLineAndShapeRenderer lossLines = new XYLineAndShapeRenderer();
        line(lossLines, 0, TrainingCurves.RAW, 1.0f, raw.getItemCount() <= 1);
        line(lossLines, 1, TrainingCurves.SMOOTHED, 2.5f, false);
        // Without per-step losses the epoch means are the only curve: join them; otherwise they mark the raw curve.
        line(lossLines, 2, TrainingCurves.EPOCH_MEAN, 1.5f, true);
        lossLines.setSeriesLinesVisible(2, raw.getItemCount() == 0);
        lossLines.setSeriesShape(2, dot(epochMean.getItemCount() > 30 ? 6 : 9));
        // Only curves that are drawn are listed; the smoothed curve of a single point is that point.
        lossLines.setSeriesVisibleInLegend(0, raw.getItemCount() > 0);
        lossLines.setSeriesVisibleInLegend(1, raw.getItemCount() > 1);
        lossLines.setSeriesVisibleInLegend(2, epochMean.getItemCount() > 0);
        XYPlot lossPlot = plot(lossData, lossLines, "training loss", "no training step recorded yet");

        XYLineAndShapeRenderer lrLine = new XYLineAndShapeRenderer();
        line(lrLine, 0, TrainingCurves.LR, 2.0f, lr.getItemCount() <= 1);
        XYPlot lrPlot = plot(new XYSeriesCollection(lr), lrLine, "learning rate", "no learning rate recorded");
        ((NumberAxis) lrPlot.getRangeAxis()).setAutoRangeIncludesZero(true);

        CombinedDomainXYPlot combined = new CombinedDomainXYPlot(Charts.axis("step", true, 10));
        combined.setGap(14);
        combined.add(lossPlot, 3);
        combined.add(lrPlot, 1);
        return chart("Training (per step)", combined);
    }

    /** Over epochs: validation top-1 above top-5, each on its own percent axis. */
    static JFreeChart perEpoch(List<EpochPoint> epochs) {
        XYSeries top1 = new XYSeries("val top-1", false, true);
        XYSeries top5 = new XYSeries("val top-5", false, true);
        for (EpochPoint e : epochs) {
            addFinite(top1, e.epoch(), 100 * e.top1());
            addFinite(top5, e.epoch(), 100 * e.top5());
        }
        XYLineAndShapeRenderer r1 = new XYLineAndShapeRenderer();
        line(r1, 0, TrainingCurves.TOP1, 2.0f, true);
        XYLineAndShapeRenderer r5 = new XYLineAndShapeRenderer();
        line(r5, 0, TrainingCurves.TOP5, 2.0f, true);
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
}
