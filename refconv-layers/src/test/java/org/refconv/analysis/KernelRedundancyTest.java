package org.refconv.analysis;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The KL redundancy of kernels against values computed by hand. */
class KernelRedundancyTest {

    @Test
    void uniformKernelAgainstOneRaisedTap() {
        // Kernel 0 is all zeros: softmax is uniform, 1/9 each. Kernel 1 is ln 2 at the centre: softmax is 2/10 there
        // and 1/10 elsewhere (e^ln2 = 2, total 2 + 8).
        float[] w = new float[18];
        w[9 + 4] = (float) Math.log(2);
        double kl01 = 1 / 9.0 * Math.log((1 / 9.0) / 0.2) + 8 / 9.0 * Math.log((1 / 9.0) / 0.1);
        double kl10 = 0.2 * Math.log(0.2 * 9) + 0.8 * Math.log(0.1 * 9);
        ChannelMatrix m = KernelRedundancy.of(w, 9, 64);
        assertEquals(2, m.size());
        assertEquals(Math.log10(1 + kl01), m.get(0, 1), 1e-7);
        assertEquals(Math.log10(1 + kl10), m.get(1, 0), 1e-7);
        assertEquals(0, m.get(0, 0), 0);
        assertEquals(0, m.get(1, 1), 0);
    }

    @Test
    void arbitraryKernelsAgainstTheDefinition() {
        Random random = new Random(7);
        float[] w = new float[3 * 9];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * 2);
        }
        ChannelMatrix m = KernelRedundancy.of(w, 9, 2);
        assertEquals(2, m.size(), "only the first C kernels");
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double[] p = softmax(w, i);
                double[] q = softmax(w, j);
                double kl = 0;
                for (int t = 0; t < 9; t++) {
                    kl += p[t] * Math.log(p[t] / q[t]);
                }
                assertEquals(Math.log10(1 + kl), m.get(i, j), 1e-9, "(" + i + ", " + j + ")");
            }
        }
    }

    /** softmax straight from its definition (no shift: these values are small). */
    private static double[] softmax(float[] w, int kernel) {
        double[] e = new double[9];
        double sum = 0;
        for (int t = 0; t < 9; t++) {
            e[t] = Math.exp(w[kernel * 9 + t]);
            sum += e[t];
        }
        for (int t = 0; t < 9; t++) {
            e[t] /= sum;
        }
        return e;
    }
}
