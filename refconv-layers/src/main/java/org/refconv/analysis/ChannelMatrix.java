package org.refconv.analysis;

import java.util.Arrays;

/** A C x C matrix over the first C channels (kernels) of a layer, with its CSV form and its diagonal statistics. */
public final class ChannelMatrix {

    /** Which off-diagonal entries a mean counts. */
    @FunctionalInterface
    public interface EntryFilter {
        boolean counts(int row, int col);
    }

    private final double[][] values;

    /** Takes ownership of {@code values}, which must be square. */
    ChannelMatrix(double[][] values) {
        for (double[] row : values) {
            if (row.length != values.length) {
                throw new IllegalArgumentException(
                        "a channel matrix is square: " + values.length + " rows, a row of " + row.length);
            }
        }
        this.values = values;
    }

    public int size() {
        return values.length;
    }

    public double get(int row, int col) {
        return values[row][col];
    }

    public double min() {
        return Arrays.stream(values).flatMapToDouble(Arrays::stream).min().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(values).flatMapToDouble(Arrays::stream).max().orElse(Double.NaN);
    }

    public double meanDiagonal() {
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += values[i][i];
        }
        return values.length == 0 ? Double.NaN : sum / values.length;
    }

    /** The mean over the off-diagonal entries {@code filter} counts; NaN when it counts none. */
    public double meanOffDiagonal(EntryFilter filter) {
        double sum = 0;
        long n = 0;
        for (int i = 0; i < values.length; i++) {
            for (int j = 0; j < values.length; j++) {
                if (i != j && filter.counts(i, j)) {
                    sum += values[i][j];
                    n++;
                }
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    public double meanOffDiagonal() {
        return meanOffDiagonal((i, j) -> true);
    }

    /**
     * A {@code #} comment line (pandas: {@code read_csv(f, comment='#', index_col=0)}), a header row of column
     * channel indices, then one row per channel led by its index. Values are written exactly (Double.toString).
     */
    public String csv(String comment) {
        StringBuilder sb = new StringBuilder("# ")
                .append(comment.replace('\n', ' '))
                .append('\n')
                .append("channel");
        for (int j = 0; j < values.length; j++) {
            sb.append(',').append(j);
        }
        sb.append('\n');
        for (int i = 0; i < values.length; i++) {
            sb.append(i);
            for (double v : values[i]) {
                sb.append(',').append(v);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
