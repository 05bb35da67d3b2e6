package org.refconv.analysis;

/**
 * The paper's Figure 4: how alike the K x K kernels of a conv weight are. Each kernel's K*K values become a
 * distribution by a softmax, p_i; entry (i, j) is log10(1 + KL(p_i || p_j)), KL(p || q) = sum p log(p / q). Low
 * off-diagonal values mean redundant kernels (the basis); refocusing should raise them.
 */
public final class KernelRedundancy {

    private KernelRedundancy() {}

    /**
     * Over the first {@code channels} kernels of {@code weight}, row-major [.., .., K, K] viewed as [n2d, K*K].
     */
    public static ChannelMatrix of(float[] weight, int kernelArea, int channels) {
        if (kernelArea < 1 || weight.length % kernelArea != 0) {
            throw new IllegalArgumentException(weight.length + " values are not whole kernels of " + kernelArea);
        }
        int c = Math.min(channels, weight.length / kernelArea);
        double[][] logP = new double[c][];
        for (int i = 0; i < c; i++) {
            logP[i] = logSoftmax(weight, i * kernelArea, kernelArea);
        }
        double[][] m = new double[c][c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                double kl = 0;
                for (int t = 0; t < kernelArea; t++) {
                    kl += Math.exp(logP[i][t]) * (logP[i][t] - logP[j][t]);
                }
                // Rounding can leave -1e-17 for identical kernels; KL is never negative.
                m[i][j] = Math.log10(1 + Math.max(0, kl));
            }
        }
        return new ChannelMatrix(m);
    }

    /** log softmax, shifted by the maximum so that exp never overflows. */
    private static double[] logSoftmax(float[] values, int from, int length) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < length; t++) {
            max = Math.max(max, values[from + t]);
        }
        double sum = 0;
        for (int t = 0; t < length; t++) {
            sum += Math.exp(values[from + t] - max);
        }
        double logSum = max + Math.log(sum);
        double[] out = new double[length];
        for (int t = 0; t < length; t++) {
            out[t] = values[from + t] - logSum;
        }
        return out;
    }
}
