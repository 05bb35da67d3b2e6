package org.refconv.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.NumberTickUnitSource;
import org.jfree.chart.axis.TickUnit;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.RectangleConstraint;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.Range;

/**
 * The look shared by this project's JFreeChart figures (white background, light grid, readable fonts, sparse ticks)
 * and the canvas they are drawn on: figures made of several charts are drawn side by side on one image, then encoded
 * as PNG.
 */
public final class Charts {

    static {
        // Figures are drawn on Spark drivers and executors without a display; AWT reads this once, at first use.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** Matplotlib's first colours ("tab:blue", "tab:orange", "tab:green", "tab:red"): what PyTorch users know. */
    static final Color BLUE = new Color(0x1F77B4);

    static final Color ORANGE = new Color(0xFF7F0E);
    static final Color GREEN = new Color(0x2CA02C);
    static final Color RED = new Color(0xD62728);

    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 18);
    static final Font SUBTITLE = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    static final Font CHART_TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14);
    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

    private Charts() {}

    /** A chart of {@code plot} titled {@code title}, white, antialiased, its legend (if any) unframed below it. */
    public static JFreeChart chart(String title, Plot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(title, CHART_TITLE, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        if (legend) {
            LegendTitle items = chart.getLegend();
            items.setPosition(RectangleEdge.BOTTOM);
            items.setFrame(BlockBorder.NONE);
            items.setItemFont(LABEL);
            items.setBackgroundPaint(Color.WHITE);
        }
        return chart;
    }

    /** The look of one plot: white, light grid lines, a grey outline (each subplot of a combined plot needs it). */
    public static void style(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xDDDDDD));
        plot.setRangeGridlinePaint(new Color(0xDDDDDD));
        plot.setDomainGridlineStroke(new BasicStroke(0.8f));
        plot.setRangeGridlineStroke(new BasicStroke(0.8f));
        plot.setOutlinePaint(new Color(0x888888));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
    }

    /** A white image with antialiased graphics; the caller disposes the graphics. */
    public static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    /** Draws a figure title (bold) and an optional second line (plain, empty for none) centred in {@code area}. */
    public static void drawTitle(Graphics2D g, String title, String note, Rectangle2D area) {
        double h = note.isEmpty() ? area.getHeight() : area.getHeight() * 0.58;
        text(g, title, TITLE, Color.BLACK, new Rectangle2D.Double(area.getX(), area.getY(), area.getWidth(), h));
        if (!note.isEmpty()) {
            Rectangle2D below =
                    new Rectangle2D.Double(area.getX(), area.getY() + h, area.getWidth(), area.getHeight() - h);
            text(g, note, SUBTITLE, new Color(0x333333), below);
        }
    }

    /** One line of text centred in {@code area}, its font shrunk until it fits (long layer names, long run ids). */
    private static void text(Graphics2D g, String text, Font font, Color colour, Rectangle2D area) {
        while (g.getFontMetrics(font).stringWidth(text) > area.getWidth() - 16 && font.getSize2D() > 8) {
            font = font.deriveFont(font.getSize2D() - 1);
        }
        TextTitle t = new TextTitle(text, font);
        t.setPaint(colour);
        t.setMaximumLinesToDisplay(1);
        t.arrange(g, RectangleConstraint.NONE.toFixedWidth(area.getWidth()));
        t.draw(g, area);
    }

    /** The image as PNG bytes (in memory: figures are small, and callers write them to any Hadoop filesystem). */
    public static byte[] png(BufferedImage image) {
        try {
            return ChartUtils.encodeAsPNG(image);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A value axis with at most {@code maxTicks} tick labels (JFreeChart packs labels as densely as they fit; plots
     * read better with matplotlib's 5 to 9), whole numbers only if {@code integers}.
     */
    public static NumberAxis axis(String label, boolean integers, int maxTicks) {
        NumberAxis axis = new NumberAxis(label) {
            @Override
            protected void selectAutoTickUnit(Graphics2D g, Rectangle2D dataArea, RectangleEdge edge) {
                super.selectAutoTickUnit(g, dataArea, edge);
                TickUnit unit = getTickUnit();
                while (getRange().getLength() / unit.getSize() > maxTicks) {
                    unit = getStandardTickUnits().getLargerTickUnit(unit);
                }
                setTickUnit((NumberTickUnit) unit, false, false);
            }

            @Override
            protected void autoAdjustRange() {
                super.autoAdjustRange();
                // A single value (one step, a flat curve) would get a range of 1e-8 and ticks repeating one label.
                double centre = getRange().getCentralValue();
                if (getRange().getLength() < 1e-6 * Math.abs(centre)) {
                    double half = 0.05 * Math.abs(centre);
                    setRange(new Range(centre - half, centre + half), false, false);
                }
            }
        };
        axis.setStandardTickUnits(new NumberTickUnitSource(integers));
        axis.setAutoRangeIncludesZero(false);
        axis.setLabelFont(LABEL);
        axis.setTickLabelFont(TICK);
        axis.setLabelPaint(Color.BLACK);
        axis.setTickLabelPaint(new Color(0x222222));
        return axis;
    }
}
