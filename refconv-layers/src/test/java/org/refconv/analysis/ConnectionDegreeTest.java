package org.refconv.analysis;

import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.HostTensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The connection-degree matrix of Wr against matrices worked out by hand. */
class ConnectionDegreeTest {

    /**
     * Wr [n2d, n2d/G, 3, 3] whose filter (i, jj) holds {@code taps[i][jj]} at the centre and its negation at the
     * top-left corner, zeros elsewhere: sum |Wr(i, jj)| = 2 |taps[i][jj]|.
     */
    private static HostTensor wr(float[][] taps) {
        int n2d = taps.length;
        int perGroup = taps[0].length;
        float[] v = new float[n2d * perGroup * 9];
        for (int i = 0; i < n2d; i++) {
            for (int jj = 0; jj < perGroup; jj++) {
                int offset = (i * perGroup + jj) * 9;
                v[offset + 4] = taps[i][jj];
                v[offset] = -taps[i][jj];
            }
        }
        return HostTensor.ofFloats(new long[] {n2d, perGroup, 3, 3}, v);
    }

    private static HostTensor basis(long... shape) {
        return HostTensor.ofFloats(shape, new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])]);
    }

    private static void assertMatrix(double[][] expected, ChannelMatrix actual) {
        assertEquals(expected.length, actual.size());
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[i][j], actual.get(i, j), 1e-6, "entry (" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void depthwiseThreeChannelsIsDenseAndReadsEveryTap() {
        // A depthwise conv of 3 channels: Wb [3, 1, 3, 3], n2d = 3, G = 1, Wr [3, 3, 3, 3].
        float[] v = new float[3 * 3 * 9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int t = 0; t < 9; t++) {
                    // |value| = (3i + j + 1) / 10 at every tap, signs alternating: the sum is 0.9 (3i + j + 1).
                    v[(i * 3 + j) * 9 + t] = (t % 2 == 0 ? 1 : -1) * (3 * i + j + 1) / 10f;
                }
            }
        }
        RefocusLayer layer = new RefocusLayer("dw", basis(3, 1, 3, 3), HostTensor.ofFloats(new long[] {3, 3, 3, 3}, v));
        assertEquals(1, layer.mapGroups());
        assertMatrix(
                new double[][] {{0.9, 1.8, 2.7}, {3.6, 4.5, 5.4}, {6.3, 7.2, 8.1}}, ConnectionDegree.of(layer, 64));
    }

    @Test
    void groupedTransformIsBlockDiagonal() {
        // Cin 4, Cout 2, groups 2: Wb [2, 2, 3, 3], n2d = 4, G = 4 * 2 / 2^2 = 2, Wr [4, 2, 3, 3].
        RefocusLayer layer =
                new RefocusLayer("grouped", basis(2, 2, 3, 3), wr(new float[][] {{1, 2}, {3, 4}, {5, 6}, {7, 8}}));
        assertEquals(2, layer.mapGroups());
        ChannelMatrix m = ConnectionDegree.of(layer, 64);
        // Kernels 2 and 3 form the second group: Wr's second index jj = j - 2 there.
        assertMatrix(
                new double[][] {
                    {2, 4, 0, 0},
                    {6, 8, 0, 0},
                    {0, 0, 10, 12},
                    {0, 0, 14, 16}
                },
                m);
        assertEquals((2 + 8 + 10 + 16) / 4.0, m.meanDiagonal(), 1e-9);
        assertEquals(
                (4 + 6 + 12 + 14) / 4.0,
                m.meanOffDiagonal(ConnectionDegree.withinGroups(layer)),
                1e-9,
                "only the pairs Wr can connect count");
        assertMatrix(new double[][] {{2, 4, 0}, {6, 8, 0}, {0, 0, 10}}, ConnectionDegree.of(layer, 3));
    }

    @Test
    void denseConvGivesADiagonalMatrix() {
        // Cin 2, Cout 2, groups 1: n2d = 4 kernels, G = 4, Wr [4, 1, 3, 3].
        RefocusLayer layer = new RefocusLayer("dense", basis(2, 2, 3, 3), wr(new float[][] {{1}, {-2}, {3}, {-4}}));
        assertEquals(4, layer.mapGroups());
        assertTrue(layer.diagonalTransform());
        ChannelMatrix m = ConnectionDegree.of(layer, 64);
        assertMatrix(new double[][] {{2, 0, 0, 0}, {0, 4, 0, 0}, {0, 0, 6, 0}, {0, 0, 0, 8}}, m);
        assertTrue(Double.isNaN(m.meanOffDiagonal(ConnectionDegree.withinGroups(layer))));
    }
}
