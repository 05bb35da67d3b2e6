package org.refconv.train;

import java.util.Arrays;

/** The median that step timings and benchmark ratios report. */
final class Median {

    private Median() {}

    /**
     * The middle value, or the mean of the two middle ones for an even count (the upper one alone would bias an even
     * number of alternated benchmark rounds towards the slower order); 0 for no values.
     */
    static double of(double... values) {
        if (values.length == 0) {
            return 0;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int mid = s.length / 2;
        return s.length % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
    }

    static double of(long... values) {
        return of(Arrays.stream(values).asDoubleStream().toArray());
    }
}
