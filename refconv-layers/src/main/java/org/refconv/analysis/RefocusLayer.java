package org.refconv.analysis;

import java.util.Arrays;

import org.refconv.checkpoint.HostTensor;

/**
 * One RefConv layer as a refocus checkpoint stores it: the basis Wb [Cout, Cin/g, K, K] under {@code <name>.weight}
 * and the refocusing weight Wr [n2d, n2d/G, k, k] under {@code <name>.convmap.weight}. The transform's geometry is
 * read off the two shapes (n2d = Cout*Cin/g, G = n2d / Wr's second dimension), so no model definition is needed.
 */
public record RefocusLayer(String name, HostTensor basis, HostTensor refocusing) {

    public RefocusLayer {
        long[] wb = basis.shape();
        long[] wr = refocusing.shape();
        String where = "RefConv layer '" + name + "': ";
        if (wb.length != 4 || wb[2] != wb[3]) {
            throw new IllegalArgumentException(
                    where + "the basis " + name + ".weight must be [Cout, Cin/g, K, K], got " + Arrays.toString(wb));
        }
        long n2d = wb[0] * wb[1];
        if (wr.length != 4 || wr[0] != n2d || wr[1] < 1 || n2d % wr[1] != 0 || wr[2] != wr[3] || wr[2] % 2 == 0) {
            throw new IllegalArgumentException(where + "the refocusing weight " + name + ".convmap.weight must be "
                    + "[n2d, n2d/G, k, k] with n2d = " + n2d + " (from the basis " + Arrays.toString(wb)
                    + ") and an odd k, got " + Arrays.toString(wr));
        }
        if (n2d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + "n2d = " + n2d + " channels is too large");
        }
    }

    /** The number of K x K kernels in Wb, i.e. the channels of the refocusing transform. */
    public int n2d() {
        return Math.toIntExact(refocusing.shape()[0]);
    }

    /** The groups G of the transform: 1 for a depthwise conv (dense Wr), n2d for a dense conv (diagonal Wr). */
    public int mapGroups() {
        return n2d() / channelsPerGroup();
    }

    /** n2d / G: how many kernels each group of the transform mixes. */
    public int channelsPerGroup() {
        return Math.toIntExact(refocusing.shape()[1]);
    }

    /** K: the basis kernels' side. */
    public int kernel() {
        return Math.toIntExact(basis.shape()[2]);
    }

    /** k: the refocusing kernel's side (3 in the paper). */
    public int mapKernel() {
        return Math.toIntExact(refocusing.shape()[2]);
    }

    /** G = n2d: each kernel is refocused only from itself, so every connection matrix is diagonal. */
    public boolean diagonalTransform() {
        return channelsPerGroup() == 1;
    }
}
