package org.refconv.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import org.refconv.plot.Png;

/** Training curves as a PNG: three panels (train loss, validation top-1/top-5, learning rate) over epochs. */
final class CurvePlot {

    private static final int PANEL_W = 360;
    private static final int PANEL_H = 260;
    private static final int MARGIN = 44;

    private CurvePlot() {}

    static byte[] render(List<Metrics.Row> rows, List<Metrics.StepPoint> steps) {
        BufferedImage img = new BufferedImage(3 * PANEL_W, PANEL_H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Png.whiteCanvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        panel(g, 0, "train loss", rows, List.of(Metrics.Row::trainLoss), List.of(new Color(0xC0392B)));
        panel(
                g,
                1,
                "val top-1 / top-5",
                rows,
                List.of(Metrics.Row::top1, Metrics.Row::top5),
                List.of(new Color(0x2471A3), new Color(0x7FB3D5)));
        panel(g, 2, "learning rate", rows, List.of(Metrics.Row::lr), List.of(new Color(0x239B56)));
        g.dispose();
        return Png.encode(img);
    }

    private static void panel(
            Graphics2D g,
            int index,
            String title,
            List<Metrics.Row> rows,
            List<ToDoubleFunction<Metrics.Row>> series,
            List<Color> colors) {
        int x0 = index * PANEL_W + MARGIN;
        int y0 = PANEL_H - MARGIN;
        int w = PANEL_W - MARGIN - 12;
        int h = PANEL_H - MARGIN - 24;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (ToDoubleFunction<Metrics.Row> s : series) {
            for (Metrics.Row r : rows) {
                double v = s.applyAsDouble(r);
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawString(title, x0, 16);
        g.drawLine(x0, y0, x0 + w, y0);
        g.drawLine(x0, y0, x0, y0 - h);
        g.drawString("epoch", x0 + w - 30, y0 + 28);
        if (!Double.isFinite(min)) {
            return;
        }
        if (max == min) {
            max = min + 1e-9;
        }
        g.drawString(String.format(Locale.ROOT, "%.3g", max), 2 + index * PANEL_W, y0 - h + 4);
        g.drawString(String.format(Locale.ROOT, "%.3g", min), 2 + index * PANEL_W, y0);
        long firstEpoch = rows.get(0).epoch();
        long lastEpoch = Math.max(firstEpoch + 1, rows.get(rows.size() - 1).epoch());
        g.drawString(String.valueOf(firstEpoch), x0, y0 + 14);
        g.drawString(String.valueOf(lastEpoch), x0 + w - 10, y0 + 14);
        g.setStroke(new BasicStroke(2f));
        for (int s = 0; s < series.size(); s++) {
            g.setColor(colors.get(s));
            int px = -1;
            int py = -1;
            for (Metrics.Row r : rows) {
                double v = series.get(s).applyAsDouble(r);
                if (!Double.isFinite(v)) {
                    continue;
                }
                int x = x0 + (int) Math.round((r.epoch() - firstEpoch) * (double) w / (lastEpoch - firstEpoch));
                int y = y0 - (int) Math.round((v - min) / (max - min) * h);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 2, y - 2, 5, 5);
                px = x;
                py = y;
            }
        }
        g.setStroke(new BasicStroke(1f));
    }
}
