package org.refconv.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointsTest {
    @TempDir
    Path dir;

    @Test
    void choosesTheReaderByExtension() throws IOException {
        StateDict fromPth = Checkpoints.read(Fixtures.uri("small_cnn.pth"), null);
        StateDict fromSafetensors = Checkpoints.read(Fixtures.uri("small_cnn.safetensors"), null);
        assertEquals(fromPth.keys(), fromSafetensors.keys());
        assertEquals(Checkpoints.Format.TORCH, Checkpoints.formatOf(Fixtures.uri("small_cnn.pth"), null));
        assertEquals(Checkpoints.Format.SAFETENSORS, Checkpoints.formatOf(Fixtures.uri("small_cnn.safetensors"), null));
    }

    @Test
    void choosesTheReaderByContentWithoutAKnownExtension() throws IOException {
        Path torch = Files.copy(Fixtures.path("small_cnn.pth"), dir.resolve("weights-a"));
        Path safetensors = Files.copy(Fixtures.path("small_cnn.safetensors"), dir.resolve("weights-b"));
        assertEquals(Checkpoints.Format.TORCH, Checkpoints.formatOf(torch.toString(), null));
        assertEquals(Checkpoints.Format.SAFETENSORS, Checkpoints.formatOf(safetensors.toString(), null));
        assertEquals(
                TorchCheckpoint.read(Fixtures.uri("small_cnn.pth"), null), Checkpoints.read(torch.toString(), null));

        Path legacy = Files.copy(Fixtures.path("legacy.pth"), dir.resolve("old-weights"));
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> Checkpoints.read(legacy.toString(), null));
        assertTrue(e.getMessage().contains("legacy (non-zip) PyTorch checkpoint"), e.getMessage());
    }

    @Test
    void reportsAnUnrecognizedFile() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a checkpoint");
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> Checkpoints.read(text.toString(), null));
        assertEquals(
                text + ": unrecognized checkpoint format: expected safetensors (.safetensors) or a torch.save "
                        + "zip (.pth, .pt)",
                e.getMessage());
    }
}
