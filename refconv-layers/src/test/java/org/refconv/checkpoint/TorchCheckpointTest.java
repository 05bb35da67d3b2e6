package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Reads the checkpoints PyTorch 1.13 wrote (fixtures/make_checkpoint_fixtures.py) and damaged variants of them. */
class TorchCheckpointTest {
    /** SmallCNN's state_dict() keys, in PyTorch's order. */
    private static final List<String> SMALL_CNN_KEYS = List.of(
            "conv1.weight",
            "bn1.weight",
            "bn1.bias",
            "bn1.running_mean",
            "bn1.running_var",
            "bn1.num_batches_tracked",
            "layer1.0.weight",
            "layer1.0.bias",
            "layer1.1.weight",
            "layer1.1.bias",
            "layer1.1.running_mean",
            "layer1.1.running_var",
            "layer1.1.num_batches_tracked",
            "fc.weight",
            "fc.bias");

    private static StateDict readBytes(byte[] checkpoint) throws IOException {
        return TorchCheckpoint.read(new ByteArrayInputStream(checkpoint), "test.pth");
    }

    /** Same names in the same order, bit-identical tensors. */
    private static void assertSameTensors(StateDict expected, StateDict actual) {
        assertEquals(expected.keys(), actual.keys());
        for (String key : expected.keys()) {
            assertEquals(expected.get(key), actual.get(key), key);
        }
    }

    @Test
    void readsASmallCnnStateDictExactlyAsPyTorchWroteIt() throws IOException {
        StateDict pth = TorchCheckpoint.read(Fixtures.uri("small_cnn.pth"), null);
        StateDict safetensors = SafeTensors.read(Fixtures.uri("small_cnn.safetensors"), null);
        assertEquals(SMALL_CNN_KEYS, pth.keys());
        assertSameTensors(safetensors, pth);
        assertEquals(Map.of("format", "pt", "source", "make_checkpoint_fixtures.py"), safetensors.metadata());
        assertEquals(Map.of(), pth.metadata());

        assertArrayEquals(new long[] {8, 3, 3, 3}, pth.get("conv1.weight").shape());
        assertArrayEquals(new long[] {16}, pth.get("layer1.0.bias").shape());
        HostTensor batches = pth.get("bn1.num_batches_tracked");
        assertEquals(DType.I64, batches.dtype());
        assertArrayEquals(new long[0], batches.shape());
        assertArrayEquals(new long[] {3}, batches.toLongArray()); // the fixture ran 3 training batches
    }

    @Test
    void readsEveryDtypeAndStridedViews() throws IOException {
        StateDict pth = TorchCheckpoint.read(Fixtures.path("dtypes.pth").toString(), null);
        assertSameTensors(SafeTensors.read(Fixtures.uri("dtypes.safetensors"), null), pth);

        JsonNode expected = new ObjectMapper().readTree(Fixtures.bytes("dtypes.expected.json"));
        List<String> expectedKeys = new ArrayList<>();
        expected.fieldNames().forEachRemaining(expectedKeys::add);
        assertEquals(expectedKeys, pth.keys());
        for (String key : pth.keys()) {
            JsonNode entry = expected.get(key);
            HostTensor tensor = pth.get(key);
            assertEquals(entry.get("dtype").asText(), tensor.dtype().safetensorsName(), key);
            long[] shape = new long[entry.get("shape").size()];
            Arrays.setAll(shape, i -> entry.get("shape").get(i).asLong());
            assertArrayEquals(shape, tensor.shape(), key);
            float[] floats = new float[entry.get("float32").size()];
            for (int i = 0; i < floats.length; i++) {
                floats[i] = (float) entry.get("float32").get(i).asDouble();
            }
            assertArrayEquals(floats, tensor.toFloatArray(), key);
            if (entry.has("int64")) {
                long[] longs = new long[entry.get("int64").size()];
                Arrays.setAll(longs, i -> entry.get("int64").get(i).asLong());
                assertArrayEquals(longs, tensor.toLongArray(), key);
            }
        }
        // base = arange(24).reshape(4, 6) / 8 - 1; the views share its storage.
        assertArrayEquals(
                new float[] {-0.25f, -0.125f},
                Arrays.copyOf(pth.get("rows_1_to_3").toFloatArray(), 2));
        assertArrayEquals(
                new float[] {-1f, -0.25f, 0.5f, 1.25f},
                Arrays.copyOf(pth.get("transposed").toFloatArray(), 4));
        assertArrayEquals(
                new float[] {-0.875f, -0.625f, -0.375f, -0.125f},
                Arrays.copyOf(pth.get("every_other_column").toFloatArray(), 4));
    }

    @Test
    void readsFromAStreamAsFromAFile() throws IOException {
        try (InputStream in = Files.newInputStream(Fixtures.path("small_cnn.pth"))) {
            assertEquals(TorchCheckpoint.read(Fixtures.uri("small_cnn.pth"), null), TorchCheckpoint.read(in, "s"));
        }
    }

    @Test
    void readsEntriesInAnyOrderAndDeflated() throws IOException {
        Map<String, byte[]> entries = TorchZips.entries(Fixtures.path("small_cnn.pth"));
        List<String> reversed = new ArrayList<>(entries.keySet());
        Collections.reverse(reversed);
        Map<String, byte[]> reordered = new LinkedHashMap<>();
        reversed.forEach(name -> reordered.put(name, entries.get(name)));
        StateDict expected = TorchCheckpoint.read(Fixtures.uri("small_cnn.pth"), null);
        assertEquals(expected, readBytes(TorchZips.zip(reordered, ZipEntry.DEFLATED)));
        assertEquals(expected, readBytes(TorchZips.zip(reordered, ZipEntry.STORED)));
    }

    @Test
    void refusesTheLegacyFormatWithAConversionHint() {
        Path legacy = Fixtures.path("legacy.pth");
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> TorchCheckpoint.read(legacy.toString(), null));
        assertEquals(
                legacy + ": legacy (non-zip) PyTorch checkpoint: re-save it in PyTorch >= 1.6 with "
                        + "torch.save(torch.load(f), f2) (the default zip format)",
                e.getMessage());
    }

    @Test
    void refusesFilesThatAreNotTorchCheckpoints() {
        CheckpointFormatException notZip = assertThrows(
                CheckpointFormatException.class, () -> readBytes("hello".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(
                "test.pth: not a PyTorch checkpoint: a torch.save file is a zip archive starting with 'PK'",
                notZip.getMessage());

        byte[] otherZip = TorchZips.zip(Map.of("hello.txt", new byte[] {1}), ZipEntry.DEFLATED);
        CheckpointFormatException noPickle = assertThrows(CheckpointFormatException.class, () -> readBytes(otherZip));
        assertEquals(
                "test.pth: zip archive without <archive>/data.pkl: not a PyTorch checkpoint (entries: "
                        + "[hello.txt])",
                noPickle.getMessage());
    }

    @Test
    void reportsATruncatedCheckpoint() {
        byte[] whole = Fixtures.bytes("small_cnn.pth");
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> readBytes(Arrays.copyOf(whole, whole.length / 2)));
        assertEquals("test.pth: corrupt zip: no end-of-central-directory record (truncated file?)", e.getMessage());
    }

    @Test
    void reportsADamagedStorage() {
        byte[] damaged = Fixtures.bytes("small_cnn.pth");
        damaged[damaged.length / 2] ^= 0x10; // in the storages, far from the central directory
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> readBytes(damaged));
        assertTrue(
                e.getMessage()
                        .matches("test\\.pth: corrupt zip: CRC or size mismatch in "
                                + "'small_cnn/data/\\d+' \\(damaged file\\)"),
                e.getMessage());
    }

    @Test
    void reportsAMissingStorage() {
        Map<String, byte[]> entries = TorchZips.entries(Fixtures.path("small_cnn.pth"));
        entries.remove("small_cnn/data/0");
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> readBytes(TorchZips.zip(entries, ZipEntry.STORED)));
        assertEquals(
                "test.pth: storage 'small_cnn/data/0' referenced by the pickle is missing from the zip",
                e.getMessage());
    }

    @Test
    void refusesBigEndianCheckpoints() {
        Map<String, byte[]> entries = TorchZips.entries(Fixtures.path("small_cnn.pth"));
        entries.put("small_cnn/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> readBytes(TorchZips.zip(entries, ZipEntry.STORED)));
        assertEquals("test.pth: byteorder is 'big': only little-endian checkpoints are supported", e.getMessage());

        entries.put("small_cnn/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        assertEquals(
                SMALL_CNN_KEYS,
                assertDoesNotThrow(() -> readBytes(TorchZips.zip(entries, ZipEntry.STORED)))
                        .keys());
    }

    /** Optional: a full torchvision ResNet-18, written by `make_checkpoint_fixtures.py --big` (not committed). */
    @Test
    void readsAFullResNet18WhenGenerated() throws IOException {
        Path pth = Path.of("target/checkpoint-big/resnet18.pth");
        assumeTrue(Files.exists(pth), "run fixtures/make_checkpoint_fixtures.py --big to enable");
        StateDict stateDict = TorchCheckpoint.read(pth.toString(), null);
        assertEquals(122, stateDict.size()); // 62 parameters + 60 BatchNorm buffers
        assertEquals("conv1.weight", stateDict.keys().get(0));
        assertEquals("fc.bias", stateDict.keys().get(121));
        assertSameTensors(
                SafeTensors.read(pth.resolveSibling("resnet18.safetensors").toString(), null), stateDict);
    }
}
