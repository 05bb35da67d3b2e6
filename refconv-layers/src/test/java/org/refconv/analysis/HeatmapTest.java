package org.refconv.analysis;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeatmapTest {

    private static final Color DARKEST = new Color(0x440154);
    private static final Color BRIGHTEST = new Color(0xFDE725);

    @Test
    void cellsAreDrawnLikeImshowOnOneSharedScaleWithAColourBar() throws IOException {
        // Panel a spans 0..3, panel b 1..5: one scale 0..5 for both.
        ChannelMatrix a = new ChannelMatrix(new double[][] {{0, 1, 2}, {3, 3, 3}, {1, 1, 1}});
        ChannelMatrix b = new ChannelMatrix(new double[][] {{5, 4}, {1, Double.NaN}});
        List<Heatmap.Panel> panels = List.of(
                new Heatmap.Panel("basis Wb", a, "kernel j", "kernel i"),
                new Heatmap.Panel("refocused", b, "kernel j", "kernel i"));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Heatmap.render("title", "note", panels)));
        assertEquals(2 * Heatmap.PANEL_W + Heatmap.LEGEND_W, img.getWidth());
        assertEquals(Heatmap.TITLE_H + Heatmap.PANEL_H, img.getHeight());

        List<Rectangle2D> areas = Heatmap.draw("title", "note", panels).dataAreas();
        for (Rectangle2D area : areas) {
            assertEquals(area.getWidth(), area.getHeight(), 1.0, "square cells, as imshow");
            assertTrue(area.getWidth() > 300, "the matrix takes most of its panel: " + area);
        }
        // Row 0 at the top, column 0 at the left, each cell the scale's colour of its value.
        assertCells(img, areas.get(0), a, 0, 5);
        assertCells(img, areas.get(1), b, 0, 5);
        assertTrue(near(cellCentre(img, areas.get(1), 2, 1, 1), Color.LIGHT_GRAY), "a NaN cell is grey");

        // The colour bar, right of the last panel: the scale's two ends, darkest at the bottom.
        Rectangle2D last = areas.get(1);
        int barX = -1;
        for (int x = (int) last.getMaxX() + 2; x < img.getWidth() && barX < 0; x++) {
            if (near(img.getRGB(x, (int) (last.getMaxY() - 3)), DARKEST, 12)) {
                barX = x;
            }
        }
        assertTrue(barX > 0, "a colour bar starting dark at the bottom");
        // 256 subdivisions on about 390 px: the strip's ends are within a subdivision's colour step of the scale's.
        assertTrue(near(img.getRGB(barX + 4, (int) last.getMinY() + 3), BRIGHTEST, 12), "bright at the top");
    }

    @Test
    void viridisRunsFromPurpleToYellowAndClampsOutOfRangeValues() {
        assertEquals(DARKEST, Heatmap.Viridis.colour(0, 0, 1));
        assertEquals(BRIGHTEST, Heatmap.Viridis.colour(1, 0, 1));
        assertEquals(new Color(0x21918C), Heatmap.Viridis.colour(0.5, 0, 1));
        assertEquals(DARKEST, Heatmap.Viridis.colour(-3, 0, 1));
        assertEquals(BRIGHTEST, Heatmap.Viridis.colour(7, 0, 1));
        // Half way between the first two stops (0x440154, 0x472D7B) is their channel-wise mean.
        assertEquals(new Color(0x46, 0x17, 0x68), Heatmap.Viridis.colour(1 / 16.0, 0, 1));
    }

    @Test
    void aConstantMatrixStillGetsAScale() throws IOException {
        ChannelMatrix zeros = new ChannelMatrix(new double[4][4]);
        List<Heatmap.Panel> panels = List.of(new Heatmap.Panel("zeros", zeros, "j", "i"));
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(Heatmap.render("t", "", panels)));
        Heatmap.Viridis scale = Heatmap.Viridis.spanning(panels);
        assertEquals(-0.5, scale.getLowerBound(), 0);
        assertEquals(0.5, scale.getUpperBound(), 0);
        Rectangle2D area = Heatmap.draw("t", "", panels).dataAreas().get(0);
        assertCells(img, area, zeros, -0.5, 0.5);
    }

    private static void assertCells(BufferedImage img, Rectangle2D area, ChannelMatrix m, double min, double max) {
        for (int i = 0; i < m.size(); i++) {
            for (int j = 0; j < m.size(); j++) {
                if (Double.isFinite(m.get(i, j))) {
                    Color expected = Heatmap.Viridis.colour(m.get(i, j), min, max);
                    int rgb = cellCentre(img, area, m.size(), i, j);
                    assertTrue(near(rgb, expected), "cell (" + i + ", " + j + "): " + Integer.toHexString(rgb));
                }
            }
        }
    }

    private static int cellCentre(BufferedImage img, Rectangle2D area, int c, int row, int col) {
        double cell = area.getWidth() / c;
        return img.getRGB((int) (area.getMinX() + (col + 0.5) * cell), (int)
                (area.getMinY() + (row + 0.5) * area.getHeight() / c));
    }

    private static boolean near(int rgb, Color c) {
        return near(rgb, c, 3);
    }

    private static boolean near(int rgb, Color c, int tolerance) {
        return Math.abs(((rgb >> 16) & 0xFF) - c.getRed()) <= tolerance
                && Math.abs(((rgb >> 8) & 0xFF) - c.getGreen()) <= tolerance
                && Math.abs((rgb & 0xFF) - c.getBlue()) <= tolerance;
    }
}
