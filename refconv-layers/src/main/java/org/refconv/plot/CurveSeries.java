package org.refconv.plot;

import java.util.Arrays;

import org.jfree.data.xy.XYSeries;

/**
 * The data a training curve is drawn from, prepared without drawing anything: TensorBoard's smoothing of the loss,
 * its weight for a run's length, and series of finite points thinned to what a line at the figure's resolution shows.
 */
final class CurveSeries {

    /** Slices of the x range a thinned series keeps two points of; about the pixel columns of a plot. */
    static final int BUCKETS = 1200;

    private CurveSeries() {}

    /**
     * TensorBoard's smoothing: an exponential moving average with {@code weight} in [0, 1) on the past, divided by
     * {@code 1 - weight^n} after n values so that the first values are not pulled towards 0. A non-finite value gives
     * NaN at its place and does not enter the average.
     */
    static double[] ema(double[] values, double weight) {
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
    static double smoothingWeight(int n) {
        return Math.max(0.6, Math.min(0.999, 1 - 50.0 / Math.max(1, n)));
    }

    /** How many of {@code values} are finite, the ones a curve draws. */
    static int finiteCount(double[] values) {
        return (int) Arrays.stream(values).filter(Double::isFinite).count();
    }

    /**
     * The finite points of {@code (x, y)} as a series, thinned when there are more than about two per pixel column:
     * then each of {@value #BUCKETS} slices of the x range keeps its lowest and highest point in their order, the
     * envelope a line drawn at that resolution shows (stroking every point of a long run is slow: docs/plots.md).
     */
    static XYSeries envelope(String name, long[] x, double[] y) {
        XYSeries series = new XYSeries(name, false, true);
        if (finiteCount(y) <= 2 * BUCKETS) {
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

    /** Adds {@code (x, y)} unless y is not finite (a NaN loss, an epoch not evaluated): such points are not drawn. */
    static void addFinite(XYSeries series, long x, double y) {
        if (Double.isFinite(y)) {
            series.add(x, y, false);
        }
    }
}
