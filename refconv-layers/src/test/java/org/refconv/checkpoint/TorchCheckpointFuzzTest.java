package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the whole {@code .pth} reader on raw files: the zip container (Commons Compress and ZipArchive's checks),
 * the archive layout, and the pickle. Seeds are real torch.save files; the default run replays
 * {@code TorchCheckpointFuzzTestInputs/}, {@code -Pfuzz} fuzzes (docs/security.md).
 */
class TorchCheckpointFuzzTest {
    private static final String SOURCE = "fuzz.pth";

    @FuzzTest(maxDuration = "2m")
    void pthFile(byte[] input) throws Exception {
        FuzzChecks.onlyFormatErrors(
                SOURCE,
                input,
                () -> StateDictFuzzing.checkTensors(TorchCheckpoint.read(new ByteArrayInputStream(input), SOURCE)));
    }
}
