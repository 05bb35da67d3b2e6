package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the allow-listed unpickler: the input is {@code data.pkl} of an otherwise valid checkpoint with four
 * storages ({@code data/0} to {@code data/3}), so every mutation reaches the pickle. A global outside the allow-list
 * must be refused before anything is built (Jazzer's own detectors watch for commands, class loading and
 * reflective calls in fuzzing mode); what is accepted must be a state dict of tensors. Default run: replays
 * {@code StateDictUnpicklerFuzzTestInputs/}; {@code -Pfuzz} fuzzes (docs/security.md).
 */
class StateDictUnpicklerFuzzTest {
    private static final String SOURCE = "fuzz.pth";

    private static byte[] checkpoint(byte[] pickle) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        entries.put("archive/data/0", new byte[64]);
        entries.put("archive/data/1", new byte[4]);
        entries.put("archive/data/2", new byte[1]);
        entries.put("archive/data/3", new byte[0]);
        return TorchZips.zip(entries, ZipEntry.STORED);
    }

    @FuzzTest(maxDuration = "2m")
    void dataPkl(byte[] pickle) throws Exception {
        byte[] file = checkpoint(pickle);
        FuzzChecks.onlyFormatErrors(
                SOURCE,
                file,
                () -> StateDictFuzzing.checkTensors(TorchCheckpoint.read(new ByteArrayInputStream(file), SOURCE)));
    }
}
