package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzzes the safetensors reader (header length, JSON header, data offsets). Default test run: replays the inputs in
 * {@code SafeTensorsFuzzTestInputs/}; {@code -Pfuzz}: coverage-guided fuzzing (docs/security.md).
 */
class SafeTensorsFuzzTest {
    private static final String SOURCE = "fuzz.safetensors";

    @FuzzTest(maxDuration = "2m")
    void safetensorsFile(byte[] input) throws Exception {
        StateDict[] read = new StateDict[2];
        // Both paths: length known (HDFS file, sizes checked first) and a plain stream (memory grows as bytes come).
        FuzzChecks.onlyFormatErrors(
                SOURCE, input, () -> read[0] = SafeTensors.read(new ByteArrayInputStream(input), SOURCE, input.length));
        FuzzChecks.onlyFormatErrors(
                SOURCE, input, () -> read[1] = SafeTensors.read(new ByteArrayInputStream(input), SOURCE));
        assertEquals(read[0], read[1], "the two read paths disagree");
        if (read[0] != null) { // what we accept, we write back to something we read the same
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            SafeTensors.write(read[0], out);
            StateDict again = SafeTensors.read(new ByteArrayInputStream(out.toByteArray()));
            assertEquals(read[0], again);
            assertEquals(read[0].metadata(), again.metadata());
        }
    }
}
