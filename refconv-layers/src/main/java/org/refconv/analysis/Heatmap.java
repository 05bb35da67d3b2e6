package org.refconv.analysis;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

import org.refconv.plot.Png;

/**
 * Channel matrices as a PNG heatmap: one panel per matrix side by side, all on one colour scale (so that the basis
 * and the refocused weight compare at a glance), a colour bar with its min and max, axis labels and a title. The
 * image size depends only on the number of panels: each matrix is drawn on {@value #MATRIX_PX} px whatever C is.
 */
public final class Heatmap {

    /** One matrix and how to label it. */
    public record Panel(String subtitle, ChannelMatrix matrix, String xLabel, String yLabel) {}

    static final int MATRIX_PX = 400;
    static final int PANEL_W = 470;
    static final int LEGEND_W = 110;
    static final int TITLE_H = 48;
    static final int PANEL_H = 470;
    private static final int LEFT = 60;
    private static final int TOP = 24;

    // Viridis at five stops: perceptually ordered and readable in grey and by colour-blind readers.
    private static final Color[] STOPS = {
        new Color(0x440154), new Color(0x3B528B), new Color(0x21918C), new Color(0x5EC962), new Color(0xFDE725)
    };

    private Heatmap() {}

    /** {@code note} is a second title line (empty for none). */
    public static byte[] render(String title, String note, List<Panel> panels) {
        double min = panels.stream().mapToDouble(p -> p.matrix().min()).min().orElse(0);
        double max = panels.stream().mapToDouble(p -> p.matrix().max()).max().orElse(1);
        BufferedImage img =
                new BufferedImage(panels.size() * PANEL_W + LEGEND_W, TITLE_H + PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.whiteCanvas(img);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        drawFitted(g, title, 8, 18, img.getWidth() - 16);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        drawFitted(g, note, 8, 38, img.getWidth() - 16);
        for (int p = 0; p < panels.size(); p++) {
            panel(g, p * PANEL_W, panels.get(p), min, max);
        }
        legend(g, panels.size() * PANEL_W, min, max);
        g.dispose();
        return Png.encode(img);
    }

    private static void panel(Graphics2D g, int x0, Panel panel, double min, double max) {
        ChannelMatrix m = panel.matrix();
        int c = m.size();
        int left = x0 + LEFT;
        int top = TITLE_H + TOP;
        g.setColor(Color.BLACK);
        drawFitted(g, panel.subtitle(), left, top - 8, PANEL_W - LEFT - 4);
        for (int i = 0; i < c; i++) {
            int y = top + cellEdge(i, c);
            int h = cellEdge(i + 1, c) - cellEdge(i, c);
            for (int j = 0; j < c; j++) {
                g.setColor(colour(m.get(i, j), min, max));
                g.fillRect(left + cellEdge(j, c), y, cellEdge(j + 1, c) - cellEdge(j, c), h);
            }
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, MATRIX_PX, MATRIX_PX);
        FontMetrics fm = g.getFontMetrics();
        int step = Math.max(1, (c + 7) / 8);
        for (int t = 0; t < c; t += step) {
            String label = Integer.toString(t);
            int centre = (cellEdge(t, c) + cellEdge(t + 1, c)) / 2;
            g.drawString(label, left + centre - fm.stringWidth(label) / 2, top + MATRIX_PX + 14);
            g.drawString(label, left - 4 - fm.stringWidth(label), top + centre + fm.getAscent() / 2);
        }
        g.drawString(panel.xLabel(), left + (MATRIX_PX - fm.stringWidth(panel.xLabel())) / 2, top + MATRIX_PX + 32);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2, x0 + 18, top + MATRIX_PX / 2.0);
        g.drawString(panel.yLabel(), x0 + 18 - fm.stringWidth(panel.yLabel()) / 2, top + MATRIX_PX / 2 + 4);
        g.setTransform(saved);
    }

    private static void legend(Graphics2D g, int x0, double min, double max) {
        int left = x0 + 12;
        int top = TITLE_H + TOP;
        for (int y = 0; y < MATRIX_PX; y++) {
            g.setColor(colour(max - (max - min) * y / (MATRIX_PX - 1), min, max));
            g.drawLine(left, top + y, left + 20, top + y);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, 20, MATRIX_PX);
        g.drawString("max " + format(max), left + 24, top + 10);
        g.drawString("min " + format(min), left + 24, top + MATRIX_PX);
    }

    /** Pixel offset of cell {@code index}'s edge: C cells share the matrix's pixels as evenly as integers allow. */
    private static int cellEdge(int index, int cells) {
        return (int) Math.round((double) index * MATRIX_PX / cells);
    }

    static Color colour(double v, double min, double max) {
        double t = max > min ? (v - min) / (max - min) : 0;
        double pos = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
        int lo = Math.min((int) pos, STOPS.length - 2);
        double f = pos - lo;
        Color a = STOPS[lo];
        Color b = STOPS[lo + 1];
        return new Color(
                mix(a.getRed(), b.getRed(), f), mix(a.getGreen(), b.getGreen(), f), mix(a.getBlue(), b.getBlue(), f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round(a + (b - a) * f);
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** Draws {@code text}, shrinking the font until it fits in {@code width} (titles with long layer names). */
    private static void drawFitted(Graphics2D g, String text, int x, int y, int width) {
        Font original = g.getFont();
        Font font = original;
        while (g.getFontMetrics(font).stringWidth(text) > width && font.getSize2D() > 7) {
            font = font.deriveFont(font.getSize2D() - 1);
        }
        g.setFont(font);
        g.drawString(text, x, y);
        g.setFont(original);
    }
}
