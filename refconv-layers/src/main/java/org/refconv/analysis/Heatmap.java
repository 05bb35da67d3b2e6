package org.refconv.analysis;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;
import org.refconv.plot.Charts;

/**
 * Channel matrices as a PNG heatmap (JFreeChart): one panel per matrix side by side, drawn like matplotlib's
 * {@code imshow} (row 0 at the top, square cells), all on one colour scale so that the basis and the refocused
 * weight compare at a glance, with a colour bar, axis labels and a title. The image size depends only on the number
 * of panels: {@value #PANEL_W} px per panel plus {@value #LEGEND_W} for the colour bar, by {@value #TITLE_H} +
 * {@value #PANEL_H}, whatever the number of channels.
 */
public final class Heatmap {

    /** One matrix and how to label it. */
    public record Panel(String subtitle, ChannelMatrix matrix, String xLabel, String yLabel) {}

    static final int PANEL_W = 470;
    static final int LEGEND_W = 110;
    static final int TITLE_H = 48;
    static final int PANEL_H = 470;

    private Heatmap() {}

    /** {@code note} is a second title line (empty for none). */
    public static byte[] render(String title, String note, List<Panel> panels) {
        return Charts.png(draw(title, note, panels).image());
    }

    /** The figure and where each panel's matrix landed on it. */
    record Figure(BufferedImage image, List<Rectangle2D> dataAreas) {}

    static Figure draw(String title, String note, List<Panel> panels) {
        Viridis scale = Viridis.spanning(panels);
        BufferedImage img =
                new BufferedImage(panels.size() * PANEL_W + LEGEND_W, TITLE_H + PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Charts.canvas(img);
        Charts.drawTitle(g, title, note, new Rectangle2D.Double(0, 2, img.getWidth(), TITLE_H - 2));
        List<Rectangle2D> areas = new ArrayList<>();
        for (int p = 0; p < panels.size(); p++) {
            Rectangle2D area = new Rectangle2D.Double(p * PANEL_W, TITLE_H, PANEL_W, PANEL_H);
            areas.add(draw(g, panelChart(panels.get(p), scale), area));
        }
        if (!areas.isEmpty()) {
            Rectangle2D last = areas.get(areas.size() - 1);
            colourBar(scale)
                    .draw(g, new Rectangle2D.Double(last.getMaxX() + 14, last.getY(), LEGEND_W - 14, last.getHeight()));
        }
        g.dispose();
        return new Figure(img, areas);
    }

    private static JFreeChart panelChart(Panel panel, PaintScale scale) {
        ChannelMatrix m = panel.matrix();
        int c = m.size();
        double[][] xyz = new double[3][c * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                xyz[0][i * c + j] = j;
                xyz[1][i * c + j] = i;
                xyz[2][i * c + j] = m.get(i, j);
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries(panel.subtitle(), xyz);
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        NumberAxis x = Charts.axis(panel.xLabel(), true, 8);
        NumberAxis y = Charts.axis(panel.yLabel(), true, 8);
        for (NumberAxis a : List.of(x, y)) {
            a.setRange(-0.5, c - 0.5); // cell k spans k +- 0.5, so the ticks sit at cell centres
            a.setLowerMargin(0);
            a.setUpperMargin(0);
        }
        y.setInverted(true);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        Charts.style(plot);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setDomainAxisLocation(AxisLocation.BOTTOM_OR_LEFT);
        JFreeChart chart = Charts.chart(panel.subtitle(), plot, false);
        chart.setPadding(new RectangleInsets(8, 6, 4, 6));
        return chart;
    }

    /**
     * Draws {@code chart} in {@code area} with a square data area (square cells, as {@code imshow}): drawn once to
     * measure what the titles and axes take, then again with padding that evens out the longer side.
     */
    private static Rectangle2D draw(Graphics2D g, JFreeChart chart, Rectangle2D area) {
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D sg = scratch.createGraphics();
        chart.draw(sg, area, info);
        sg.dispose();
        Rectangle2D first = info.getPlotInfo().getDataArea();
        double excess = first.getWidth() - first.getHeight();
        RectangleInsets pad = chart.getPadding();
        chart.setPadding(
                excess > 0
                        ? new RectangleInsets(
                                pad.getTop(), pad.getLeft() + excess / 2, pad.getBottom(), pad.getRight() + excess / 2)
                        : new RectangleInsets(pad.getTop(), pad.getLeft(), pad.getBottom() - excess, pad.getRight()));
        chart.draw(g, area, info);
        return info.getPlotInfo().getDataArea();
    }

    private static PaintScaleLegend colourBar(Viridis scale) {
        NumberAxis axis = Charts.axis(null, false, 8);
        axis.setRange(scale.getLowerBound(), scale.getUpperBound());
        PaintScaleLegend bar = new PaintScaleLegend(scale, axis);
        bar.setPosition(RectangleEdge.RIGHT);
        bar.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
        bar.setStripWidth(18);
        bar.setSubdivisionCount(256);
        bar.setStripOutlineVisible(true);
        bar.setBackgroundPaint(Color.WHITE);
        bar.setPadding(RectangleInsets.ZERO_INSETS);
        bar.setMargin(RectangleInsets.ZERO_INSETS);
        return bar;
    }

    /**
     * Matplotlib's viridis (nine of its colours, interpolated): perceptually ordered and readable in grey and by
     * colour-blind readers. NaN cells are grey.
     */
    static final class Viridis implements PaintScale {

        private static final int[] STOPS = {
            0x440154, 0x472D7B, 0x3B528B, 0x2C728E, 0x21918C, 0x28AE80, 0x5EC962, 0xADDC30, 0xFDE725
        };

        private final double lower;
        private final double upper;

        Viridis(double lower, double upper) {
            this.lower = lower;
            this.upper = upper;
        }

        /** One scale over every panel's finite values; a constant matrix gets a unit-wide range around its value. */
        static Viridis spanning(List<Panel> panels) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (Panel p : panels) {
                ChannelMatrix m = p.matrix();
                for (int i = 0; i < m.size(); i++) {
                    for (int j = 0; j < m.size(); j++) {
                        double v = m.get(i, j);
                        if (Double.isFinite(v)) {
                            min = Math.min(min, v);
                            max = Math.max(max, v);
                        }
                    }
                }
            }
            if (!(min <= max)) {
                return new Viridis(0, 1);
            }
            return max > min ? new Viridis(min, max) : new Viridis(min - 0.5, max + 0.5);
        }

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            return colour(value, lower, upper);
        }

        static Color colour(double v, double min, double max) {
            if (!Double.isFinite(v)) {
                return Color.LIGHT_GRAY;
            }
            double t = max > min ? (v - min) / (max - min) : 0;
            double pos = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
            int lo = Math.min((int) pos, STOPS.length - 2);
            double f = pos - lo;
            Color a = new Color(STOPS[lo]);
            Color b = new Color(STOPS[lo + 1]);
            return new Color(
                    mix(a.getRed(), b.getRed(), f),
                    mix(a.getGreen(), b.getGreen(), f),
                    mix(a.getBlue(), b.getBlue(), f));
        }

        private static int mix(int a, int b, double f) {
            return (int) Math.round(a + (b - a) * f);
        }
    }
}
