package org.refconv.analysis;

/**
 * Figures 3 and 4 of the RefConv paper for one layer, over its first C kernels: the connection degree of Wr, and the
 * kernel redundancy of the basis Wb and of the refocused weight Wt.
 */
public record LayerAnalysis(
        RefocusLayer layer,
        boolean identity,
        ChannelMatrix connection,
        ChannelMatrix basisRedundancy,
        ChannelMatrix refocusedRedundancy) {

    /** {@code identity}: Wt = Wb * Wr + Wb as trained by default; off for the paper's ablation (Wt = Wb * Wr). */
    public static LayerAnalysis of(RefocusLayer layer, int channels, boolean identity) {
        int kernelArea = layer.kernel() * layer.kernel();
        return new LayerAnalysis(
                layer,
                identity,
                ConnectionDegree.of(layer, channels),
                KernelRedundancy.of(layer.basis().toFloatArray(), kernelArea, channels),
                KernelRedundancy.of(RefocusedWeight.of(layer, identity), kernelArea, channels));
    }

    public int channels() {
        return connection.size();
    }

    public double basisRedundancyOffDiagonal() {
        return basisRedundancy.meanOffDiagonal();
    }

    public double refocusedRedundancyOffDiagonal() {
        return refocusedRedundancy.meanOffDiagonal();
    }

    /** Mean sum |Wr| of a kernel's connection to itself. */
    public double connectionDiagonal() {
        return connection.meanDiagonal();
    }

    /** Mean sum |Wr| between distinct kernels of one group; NaN when groups are single kernels (G = n2d). */
    public double connectionOffDiagonal() {
        return connection.meanOffDiagonal(ConnectionDegree.withinGroups(layer));
    }

    /** How the transform is shaped, for titles: "n2d 4096, G 4096 (G = n2d: Wr is diagonal)". */
    public String describeTransform() {
        String shape = "n2d " + layer.n2d() + ", G " + layer.mapGroups() + ", first " + channels() + " kernels";
        return layer.diagonalTransform()
                ? shape + " (G = n2d: Wr is diagonal, each kernel refocused only from itself)"
                : shape;
    }

    public String describeWeight() {
        return identity ? "Wt = Wb * Wr + Wb" : "Wt = Wb * Wr (identity off)";
    }
}
