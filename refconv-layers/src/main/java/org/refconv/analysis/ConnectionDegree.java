package org.refconv.analysis;

/**
 * The paper's Figure 3: how strongly the refocusing transform connects each output kernel i to each input kernel j,
 * the sum over the k x k filter of |Wr(i, j)|. Wr is block-diagonal with G blocks of n2d/G kernels, so the entry is
 * zero when j lies outside i's group (for G = n2d, a dense conv, the matrix is diagonal).
 */
public final class ConnectionDegree {

    private ConnectionDegree() {}

    /** Over the first {@code channels} kernels of the transform (fewer if n2d is smaller). */
    public static ChannelMatrix of(RefocusLayer layer, int channels) {
        int c = Math.min(channels, layer.n2d());
        int perGroup = layer.channelsPerGroup();
        int taps = layer.mapKernel() * layer.mapKernel();
        float[] wr = layer.refocusing().toFloatArray();
        double[][] m = new double[c][c];
        for (int i = 0; i < c; i++) {
            int groupStart = i / perGroup * perGroup;
            for (int j = groupStart; j < Math.min(c, groupStart + perGroup); j++) {
                // Wr's second axis indexes the inputs of i's own group.
                int offset = (i * perGroup + (j - groupStart)) * taps;
                double sum = 0;
                for (int t = 0; t < taps; t++) {
                    sum += Math.abs(wr[offset + t]);
                }
                m[i][j] = sum;
            }
        }
        return new ChannelMatrix(m);
    }

    /** Counts only the connections Wr can have: i != j in the same group of n2d/G kernels. */
    public static ChannelMatrix.EntryFilter withinGroups(RefocusLayer layer) {
        int perGroup = layer.channelsPerGroup();
        return (i, j) -> i / perGroup == j / perGroup;
    }
}
