package org.refconv.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    /** a = [1, 2] as F32 at data bytes [0, 8), b = [3, 4] as I32 at [8, 16); the header lists b first. */
    private static final String TWO_TENSORS = "{\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    @TempDir
    Path tmp;

    /** A safetensors file: the header's length, the header, the data (no padding: readers must not need it). */
    static byte[] file(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length)
                .put(json)
                .put(data)
                .array();
    }

    private static byte[] twoTensorData() {
        return ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1f)
                .putFloat(2f)
                .putInt(3)
                .putInt(4)
                .array();
    }

    private static byte[] written(StateDict stateDict) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SafeTensors.write(stateDict, out);
        return out.toByteArray();
    }

    private static StateDict everyDtype() {
        Random random = new Random(42);
        StateDict stateDict = new StateDict();
        for (DType type : DType.values()) {
            long[] shape = {2, 3};
            byte[] bytes = new byte[6 * type.byteSize()];
            random.nextBytes(bytes);
            if (type == DType.BOOL) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (bytes[i] & 1);
                }
            }
            stateDict.put("t_" + type.name().toLowerCase(), HostTensor.of(type, shape, ByteBuffer.wrap(bytes)));
        }
        stateDict.put("scalar", HostTensor.ofFloats(new long[0], new float[] {3.25f}));
        stateDict.put("empty", HostTensor.ofFloats(new long[] {0, 4}, new float[0]));
        return stateDict;
    }

    /** Reading {@code bytes} as an anonymous stream fails with exactly {@code message}. */
    private static void assertStreamFails(byte[] bytes, String message) {
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(new ByteArrayInputStream(bytes)));
        assertEquals("<stream>: " + message, e.getMessage());
    }

    /** Reading {@code bytes} from a file (whose length is then known) fails with exactly {@code message}. */
    private void assertFileFails(byte[] bytes, String message) throws IOException {
        Path path = Files.write(tmp.resolve("bad.safetensors"), bytes);
        CheckpointFormatException e =
                assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(path.toString(), null));
        assertEquals(path + ": " + message, e.getMessage());
    }

    @Test
    void roundTripsEveryDtypeExactly() throws IOException {
        StateDict original = everyDtype();
        StateDict fromStream = SafeTensors.read(new ByteArrayInputStream(written(original)));
        assertEquals(original, fromStream);
        for (String key : original.keys()) {
            assertEquals(original.get(key).data(), fromStream.get(key).data(), key);
        }
        String uri = tmp.resolve("every_dtype.safetensors").toUri().toString();
        SafeTensors.write(original, uri, null);
        assertEquals(original, SafeTensors.read(uri, null));
        assertEquals(List.of("every_dtype.safetensors"), list(tmp)); // no temp file, no .crc
    }

    @Test
    void roundTripsMetadata() throws IOException {
        StateDict original = new StateDict().put("w", HostTensor.ofFloats(new long[] {1}, new float[] {1f}));
        original.metadata().put("format", "pt");
        original.metadata().put("epoch", "12");
        original.metadata().put("note", "unicode \u00e9 and \"quotes\"");
        StateDict read = SafeTensors.read(new ByteArrayInputStream(written(original)));
        assertEquals(original.metadata(), read.metadata());
        assertEquals(
                List.of("format", "epoch", "note"), List.copyOf(read.metadata().keySet()));
    }

    @Test
    void writesTheReferenceLayout() throws IOException {
        StateDict stateDict = new StateDict()
                .put("z.weight", HostTensor.ofFloats(new long[] {2, 1}, new float[] {1f, 2f}))
                .put("a.count", HostTensor.ofLongs(new long[0], new long[] {7}));
        byte[] bytes = written(stateDict);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        assertEquals(bytes.length, 8 + headerLength + 8 + 8);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertEquals(
                "{\"z.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},"
                        + "\"a.count\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}",
                header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        buffer.position(8 + (int) headerLength);
        assertEquals(1f, buffer.getFloat());
        assertEquals(2f, buffer.getFloat());
        assertEquals(7L, buffer.getLong());
    }

    @Test
    void readsTensorsInHeaderOrderWhateverTheirDataOrder() throws IOException {
        StateDict read = SafeTensors.read(new ByteArrayInputStream(file(TWO_TENSORS, twoTensorData())));
        assertEquals(List.of("b", "a"), read.keys());
        assertArrayEquals(new float[] {1f, 2f}, read.get("a").toFloatArray());
        assertArrayEquals(new long[] {3, 4}, read.get("b").toLongArray());
        assertTrue(read.metadata().isEmpty());
    }

    @Test
    void refusesATensorNamedLikeTheMetadata() {
        StateDict stateDict = new StateDict().put("__metadata__", HostTensor.ofFloats(new long[0], new float[] {1f}));
        assertThrows(IllegalArgumentException.class, () -> written(stateDict));
    }

    @Test
    void reportsAFileTooShortForTheLength() {
        assertStreamFails(
                new byte[5], "file too short (5 bytes): a safetensors file starts with an 8-byte header " + "length");
    }

    @Test
    void reportsAnAbsurdHeaderLength() {
        byte[] bytes = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(1L << 40)
                .array();
        assertStreamFails(
                bytes,
                "header length 1099511627776 is absurd (limit 104857600): not a safetensors file, "
                        + "or a corrupt one");
        bytes = ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(-1)
                .array();
        assertStreamFails(
                bytes,
                "header length 18446744073709551615 is absurd (limit 104857600): not a "
                        + "safetensors file, or a corrupt one");
    }

    @Test
    void reportsAHeaderLengthBeyondTheFile() throws IOException {
        byte[] bytes = file(TWO_TENSORS, twoTensorData());
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertFileFails(bytes, "header length 1000 exceeds the file size (" + bytes.length + " bytes)");
    }

    @Test
    void reportsATruncatedHeader() throws IOException {
        byte[] whole = file(TWO_TENSORS, twoTensorData());
        int headerLength = TWO_TENSORS.length();
        assertStreamFails(
                Arrays.copyOf(whole, 8 + 20),
                "truncated header: expected " + headerLength + " bytes, the file ends after 20");
        assertFileFails(
                Arrays.copyOf(whole, 8 + 20), "header length " + headerLength + " exceeds the file size (28 bytes)");
    }

    @Test
    void reportsTruncatedData() throws IOException {
        byte[] cut = Arrays.copyOf(file(TWO_TENSORS, twoTensorData()), 8 + TWO_TENSORS.length() + 12);
        assertStreamFails(cut, "truncated data: tensor 'b' needs data bytes [8, 16) but the file ends at data byte 12");
        assertFileFails(
                cut,
                "tensor 'b': data_offsets [8, 16] go beyond the data buffer of 12 bytes (file "
                        + "truncated or header lying)");
    }

    @Test
    void reportsOffsetsBeyondTheData() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertFileFails(
                file(header, new byte[8]),
                "tensor 'a': data_offsets [0, 16] go beyond the data buffer "
                        + "of 8 bytes (file truncated or header lying)");
    }

    @Test
    void reportsAShapeNotMatchingTheOffsets() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        assertStreamFails(
                file(header, new byte[8]),
                "tensor 'a': shape [3] of F32 needs 12 bytes but " + "data_offsets [0, 8] span 8");
    }

    @Test
    void reportsOverlapsGapsAndTrailingBytes() throws IOException {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertStreamFails(
                file(overlap, new byte[12]),
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a', "
                        + "which ends at 8: tensors must tile the buffer exactly");
        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertStreamFails(
                file(gap, new byte[8]),
                "tensor 'a': data_offsets [4, 8] leave a gap at the start of "
                        + "the data buffer: tensors must tile the buffer exactly");
        String one = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertStreamFails(
                file(one, new byte[12]),
                "trailing bytes after the last tensor: the header's " + "data_offsets do not cover the data buffer");
        assertFileFails(
                file(one, new byte[12]), "the tensors cover 8 bytes but the data buffer has 12: 4 trailing " + "bytes");
    }

    @Test
    void reportsBadJson() {
        CheckpointFormatException e = assertThrows(
                CheckpointFormatException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file("{\"a\": {\"dtype\": ", new byte[0]))));
        assertTrue(e.getMessage().startsWith("<stream>: header is not valid JSON: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("(line 1, column 17)"), e.getMessage());
        assertStreamFails(file("[1, 2]", new byte[0]), "header must be a JSON object, found array");
        CheckpointFormatException t = assertThrows(
                CheckpointFormatException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file("{} {}", new byte[0]))));
        assertTrue(t.getMessage().startsWith("<stream>: header is not valid JSON: Trailing token"), t.getMessage());
        String duplicate = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        CheckpointFormatException d = assertThrows(
                CheckpointFormatException.class,
                () -> SafeTensors.read(new ByteArrayInputStream(file(duplicate, new byte[0]))));
        assertTrue(d.getMessage().contains("Duplicate field 'a'"), d.getMessage());
    }

    @Test
    void reportsMalformedEntries() {
        assertStreamFails(
                file("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]),
                "tensor 'a': unsupported dtype 'F8_E4M3' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, "
                        + "BOOL)");
        assertStreamFails(
                file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a': missing or non-string \"dtype\"");
        assertStreamFails(
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a': \"shape\" must hold non-negative integers, found [-1]");
        assertStreamFails(
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", new byte[4]),
                "tensor 'a': \"data_offsets\" must be an array of 2 non-negative integers, found [4]");
        assertStreamFails(
                file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4]),
                "tensor 'a': data_offsets [4, 0] end before they begin");
        assertStreamFails(
                file("{\"a\":[]}", new byte[0]),
                "tensor 'a': entry must be an object with dtype, shape and data_offsets, found []");
        assertStreamFails(
                file("{\"__metadata__\":{\"epoch\":3}}", new byte[0]),
                "__metadata__ value of 'epoch' must be a string, found 3");
    }

    private static List<String> list(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
