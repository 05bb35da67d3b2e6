package org.refconv.plot;

import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;

import org.jfree.data.xy.XYSeries;
import org.junit.jupiter.api.Test;
import org.refconv.plot.TrainingCurves.EpochPoint;
import org.refconv.plot.TrainingCurves.StepPoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingCurvesTest {

    private static final int LOSS = 0;
    private static final int LR = 1;
    private static final int TOP1 = 2;
    private static final int TOP5 = 3;

    @Test
    void emaMatchesHandComputedDebiasedAverages() {
        // w = 0.5: m1 = 0.5, 0.5/(1-0.5) = 1; m2 = 0.25+1 = 1.25, /0.75 = 5/3; m3 = 0.625+1.5 = 2.125, /0.875 = 17/7.
        assertArrayEquals(new double[] {1, 5.0 / 3, 17.0 / 7}, TrainingCurves.ema(new double[] {1, 2, 3}, 0.5), 1e-12);
        // w = 0.9 on a constant: debiasing keeps the average at the constant from the first value on.
        assertArrayEquals(new double[] {4, 4, 4, 4}, TrainingCurves.ema(new double[] {4, 4, 4, 4}, 0.9), 1e-12);
        // w = 0 is no smoothing.
        assertArrayEquals(new double[] {3, -1, 7}, TrainingCurves.ema(new double[] {3, -1, 7}, 0), 0);
    }

    @Test
    void emaSkipsNonFiniteValuesWithoutCountingThem() {
        // The NaN and the infinity leave the state as after 1: the 3 is the second value (m = 0.25+1.5, /0.75).
        double[] out = TrainingCurves.ema(new double[] {1, Double.NaN, Double.POSITIVE_INFINITY, 3}, 0.5);
        assertEquals(1, out[0], 1e-12);
        assertTrue(Double.isNaN(out[1]) && Double.isNaN(out[2]));
        assertEquals(7.0 / 3, out[3], 1e-12);
        assertTrue(Double.isNaN(TrainingCurves.ema(new double[] {Double.NaN}, 0.6)[0]));
        assertThrows(IllegalArgumentException.class, () -> TrainingCurves.ema(new double[] {1}, 1.0));
        assertThrows(IllegalArgumentException.class, () -> TrainingCurves.ema(new double[] {1}, -0.1));
    }

    @Test
    void smoothingWeightAveragesOverAFiftiethOfTheRunWithinTensorBoardsRange() {
        assertEquals(0.6, TrainingCurves.smoothingWeight(0), 0);
        assertEquals(0.6, TrainingCurves.smoothingWeight(100), 0);
        assertEquals(0.95, TrainingCurves.smoothingWeight(1000), 1e-12);
        assertEquals(0.999, TrainingCurves.smoothingWeight(10_000_000), 0);
    }

    @Test
    void envelopeKeepsEveryFinitePointOfASmallSeriesAndTheExtremesOfALargeOne() {
        XYSeries small = TrainingCurves.envelope("s", new long[] {1, 2, 3, 4}, new double[] {5, Double.NaN, 7, 8});
        assertEquals(3, small.getItemCount());
        assertEquals(3.0, small.getX(1).doubleValue());

        int n = 100_000;
        Random random = new Random(7);
        long[] x = IntStream.rangeClosed(1, n).asLongStream().toArray();
        double[] y = random.doubles(n).toArray();
        y[31_337] = -5;
        y[77_777] = 9;
        XYSeries large = TrainingCurves.envelope("l", x, y);
        assertTrue(large.getItemCount() <= 2400 && large.getItemCount() > 2000, large.getItemCount() + " points");
        assertEquals(-5, large.getMinY(), 0);
        assertEquals(9, large.getMaxY(), 0);
        for (int i = 1; i < large.getItemCount(); i++) {
            assertTrue(large.getX(i).doubleValue() > large.getX(i - 1).doubleValue(), "x increases at " + i);
        }
    }

    @Test
    void aTwoEpochRunDrawsEachSeriesInItsOwnColourOnItsOwnAxes() throws IOException {
        List<StepPoint> steps = new ArrayList<>();
        Random random = new Random(1);
        for (int s = 1; s <= 50; s++) {
            steps.add(new StepPoint(s, 2.5 * Math.exp(-s / 20.0) + 0.3 * random.nextGaussian(), s <= 25 ? 0.1 : 0.01));
        }
        List<EpochPoint> epochs =
                List.of(new EpochPoint(1, 25, 1.6, 0.41, 0.72), new EpochPoint(2, 50, 0.9, 0.63, 0.88));
        BufferedImage img = decode(TrainingCurves.render("run r1 · resnet18 · pretrain", steps, epochs));
        assertEquals(TrainingCurves.WIDTH, img.getWidth());
        assertEquals(TrainingCurves.HEIGHT, img.getHeight());
        assertNotBlank(img);

        List<Rectangle2D> areas = TrainingCurves.draw("run r1 · resnet18 · pretrain", steps, epochs)
                .dataAreas();
        Rectangle2D loss = areas.get(LOSS);
        // The raw losses and their smoothing are both visible: neither hides the other.
        assertTrue(count(img, loss, TrainingCurves.RAW) > 100, "raw loss pixels");
        assertTrue(count(img, loss, TrainingCurves.SMOOTHED) > 200, "smoothed loss pixels");
        assertTrue(count(img, loss, TrainingCurves.EPOCH_MEAN) > 20, "epoch-mean markers");
        assertTrue(count(img, areas.get(LR), TrainingCurves.LR) > 200, "learning-rate pixels");
        assertTrue(count(img, areas.get(TOP1), TrainingCurves.TOP1) > 100, "top-1 pixels");
        assertTrue(count(img, areas.get(TOP5), TrainingCurves.TOP5) > 100, "top-5 pixels");
        // Per step, not per epoch: the raw curve turns at many columns (a line between two epochs would not).
        assertTrue(turningColumns(img, loss, TrainingCurves.RAW) > 20, "the raw loss is drawn per step");
        // Top-1 and top-5 have their own axes: separate data areas, one above the other.
        assertTrue(areas.get(TOP1).getMaxY() < areas.get(TOP5).getMinY());
        // The loss and the learning rate share the step axis: same horizontal extent.
        assertEquals(loss.getMinX(), areas.get(LR).getMinX(), 0.5);
        assertEquals(loss.getMaxX(), areas.get(LR).getMaxX(), 0.5);
    }

    @Test
    void nonFiniteValuesAreSkipped() throws IOException {
        List<StepPoint> steps = new ArrayList<>();
        for (int s = 1; s <= 40; s++) {
            double loss = s % 7 == 0 ? Double.NaN : s % 11 == 0 ? Double.POSITIVE_INFINITY : 3.0 - s * 0.05;
            steps.add(new StepPoint(s, loss, s % 5 == 0 ? Double.NaN : 0.1));
        }
        List<EpochPoint> epochs = List.of(
                new EpochPoint(1, 20, Double.NaN, Double.NaN, Double.NaN), new EpochPoint(2, 40, 1.5, 0.5, Double.NaN));
        BufferedImage img = decode(TrainingCurves.render("run with NaN", steps, epochs));
        assertNotBlank(img);
        List<Rectangle2D> areas =
                TrainingCurves.draw("run with NaN", steps, epochs).dataAreas();
        assertTrue(count(img, areas.get(LOSS), TrainingCurves.SMOOTHED) > 100);
        assertTrue(count(img, areas.get(TOP1), TrainingCurves.TOP1) > 20, "the one finite top-1 is drawn");
        assertEquals(0, count(img, areas.get(TOP5), TrainingCurves.TOP5), "no finite top-5");

        BufferedImage allNaN =
                decode(TrainingCurves.render("all NaN", List.of(new StepPoint(1, Double.NaN, Double.NaN)), List.of()));
        assertNotBlank(allNaN);
    }

    @Test
    void aRunWithoutEpochsOrWithOnePointStillGivesACompleteFigure() throws IOException {
        List<StepPoint> steps = new ArrayList<>();
        for (int s = 1; s <= 30; s++) {
            steps.add(new StepPoint(s, 2.3 - 0.02 * s + 0.1 * Math.sin(s), 0.05));
        }
        TrainingCurves.Figure figure = TrainingCurves.draw("no epoch yet", steps, List.of());
        BufferedImage noEpoch = decode(Charts.png(figure.image()));
        List<Rectangle2D> areas = figure.dataAreas();
        assertNotBlank(noEpoch);
        assertTrue(count(noEpoch, areas.get(LOSS), TrainingCurves.RAW) > 20);
        assertEquals(0, count(noEpoch, areas.get(TOP1), TrainingCurves.TOP1));

        List<StepPoint> one = List.of(new StepPoint(1, 2.3, 0.1));
        List<EpochPoint> oneEpoch = List.of(new EpochPoint(1, 1, 2.3, 0.1, 0.5));
        figure = TrainingCurves.draw("one", one, oneEpoch);
        BufferedImage single = decode(Charts.png(figure.image()));
        assertNotBlank(single);
        areas = figure.dataAreas();
        // A single point is a marker, not an invisible zero-length line.
        assertTrue(count(single, areas.get(LOSS), TrainingCurves.EPOCH_MEAN) > 20);
        assertTrue(count(single, areas.get(LR), TrainingCurves.LR) > 10);
        assertTrue(count(single, areas.get(TOP1), TrainingCurves.TOP1) > 10);
        assertTrue(count(single, areas.get(TOP5), TrainingCurves.TOP5) > 10);

        assertNotBlank(decode(TrainingCurves.render("empty", List.of(), List.of())));
    }

    @Test
    void aLongRunRendersQuickly() {
        int n = 200_000;
        Random random = new Random(3);
        List<StepPoint> steps = new ArrayList<>(n);
        for (int s = 1; s <= n; s++) {
            steps.add(new StepPoint(s, 3 * Math.exp(-s / 50_000.0) + 0.3 * random.nextGaussian(), 0.1));
        }
        long start = System.nanoTime();
        TrainingCurves.render("long", steps, List.of());
        double seconds = (System.nanoTime() - start) / 1e9;
        // A generous bound on a shared machine: unthinned, this run takes tens of seconds (docs/plots.md).
        assertTrue(seconds < 15, seconds + " s");
    }

    static BufferedImage decode(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertTrue(img != null, "a PNG ImageIO can read");
        return img;
    }

    /** Not a blank canvas: at least 2% of the pixels are not white, in more than a handful of colours. */
    static void assertNotBlank(BufferedImage img) {
        long dark = 0;
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 0.02 * img.getWidth() * img.getHeight(), dark + " non-white pixels");
        assertTrue(colours.size() > 20, colours.size() + " colours");
    }

    /** Pixels within 6 per channel of {@code colour}, inside {@code area} less its 3-pixel rim (the outline). */
    static int count(BufferedImage img, Rectangle2D area, Color colour) {
        int n = 0;
        for (int y = (int) area.getMinY() + 3; y < (int) area.getMaxY() - 3; y++) {
            for (int x = (int) area.getMinX() + 3; x < (int) area.getMaxX() - 3; x++) {
                if (near(img.getRGB(x, y), colour)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Columns where the topmost pixel of {@code colour} moves up after moving down, or down after up. */
    private static int turningColumns(BufferedImage img, Rectangle2D area, Color colour) {
        int turns = 0;
        int previous = -1;
        int direction = 0;
        for (int x = (int) area.getMinX() + 3; x < (int) area.getMaxX() - 3; x++) {
            int top = -1;
            for (int y = (int) area.getMinY() + 3; y < (int) area.getMaxY() - 3 && top < 0; y++) {
                if (near(img.getRGB(x, y), colour)) {
                    top = y;
                }
            }
            if (top < 0) {
                continue;
            }
            if (previous >= 0 && top != previous) {
                int d = Integer.signum(top - previous);
                if (direction != 0 && d != direction) {
                    turns++;
                }
                direction = d;
            }
            previous = top;
        }
        return turns;
    }

    private static boolean near(int rgb, Color c) {
        return Math.abs(((rgb >> 16) & 0xFF) - c.getRed()) <= 6
                && Math.abs(((rgb >> 8) & 0xFF) - c.getGreen()) <= 6
                && Math.abs((rgb & 0xFF) - c.getBlue()) <= 6;
    }
}
