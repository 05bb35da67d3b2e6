package org.refconv.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MedianTest {

    @Test
    void oddCountGivesTheMiddleValueWhateverTheOrder() {
        assertEquals(3.0, Median.of(5.0, 1.0, 3.0));
        assertEquals(7.0, Median.of(7L));
    }

    @Test
    void evenCountGivesTheMeanOfTheTwoMiddleValues() {
        // sorted 0.913 0.927 0.988 1.028 1.029 1.112: the upper middle alone would say 1.028
        assertEquals(1.008, Median.of(0.913, 1.028, 0.988, 1.112, 0.927, 1.029), 1e-12);
        assertEquals(15.0, Median.of(20L, 10L));
    }

    @Test
    void noValuesGiveZeroAndTheInputIsNotReordered() {
        assertEquals(0.0, Median.of(new double[0]));
        double[] v = {3, 1, 2};
        Median.of(v);
        assertEquals(3.0, v[0]);
    }
}
