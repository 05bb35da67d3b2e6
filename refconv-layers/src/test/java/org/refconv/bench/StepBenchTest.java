package org.refconv.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs {@link StepBench} under the {@code bench} Maven profile; it prints figures and asserts nothing. */
@Tag("bench")
class StepBenchTest {

    @Test
    void printRatios() throws Exception {
        StepBench.main(new String[0]);
    }
}
