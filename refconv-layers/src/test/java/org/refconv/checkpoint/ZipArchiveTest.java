package org.refconv.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What ZipArchive adds to Commons Compress: refusals checked on zips edited byte by byte. */
class ZipArchiveTest {
    private static final int CENTRAL_HEADER = 0x02014b50;

    private static byte[] twoEntries(int method) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/a", "first entry, first entry, first entry".getBytes(StandardCharsets.US_ASCII));
        entries.put("archive/b", "second".getBytes(StandardCharsets.US_ASCII));
        return TorchZips.zip(entries, method);
    }

    /** Offset of the central directory header of entry {@code index}. */
    private static int centralHeader(byte[] zip, int index) {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 0, seen = 0; at + 4 <= zip.length; at++) {
            if (b.getInt(at) == CENTRAL_HEADER && seen++ == index) {
                return at;
            }
        }
        throw new AssertionError("no central header " + index);
    }

    private static ZipArchive open(byte[] zip) throws IOException {
        return ZipArchive.open(RandomAccessSource.of(zip), "t.pth");
    }

    @Test
    void readsBothMethodsAndListsNamesInDirectoryOrder() throws IOException {
        for (int method : new int[] {ZipEntry.STORED, ZipEntry.DEFLATED}) {
            try (ZipArchive zip = open(twoEntries(method))) {
                assertEquals(java.util.List.of("archive/a", "archive/b"), zip.names());
                assertArrayEquals("second".getBytes(StandardCharsets.US_ASCII), zip.read("archive/b"));
            }
        }
    }

    @Test
    void refusesADuplicateName() {
        byte[] zip = twoEntries(ZipEntry.STORED);
        int second = centralHeader(zip, 1);
        zip[second + 46 + "archive/".length()] = 'a'; // the directory now names archive/a twice
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> open(zip));
        assertEquals("t.pth: corrupt zip: entry 'archive/a' appears twice", e.getMessage());
    }

    @Test
    void refusesCompressionMethodsOtherThanStoredAndDeflated() throws IOException {
        byte[] zip = twoEntries(ZipEntry.DEFLATED);
        zip[centralHeader(zip, 0) + 10] = 12; // bzip2: Commons Compress would decode it
        try (ZipArchive archive = open(zip)) {
            CheckpointFormatException e =
                    assertThrows(CheckpointFormatException.class, () -> archive.read("archive/a"));
            assertEquals(
                    "t.pth: zip entry 'archive/a' uses compression method 12 (only STORED and DEFLATED are supported)",
                    e.getMessage());
        }
    }

    @Test
    void refusesASizeNoDeflateStreamCanReachBeforeAllocating() throws IOException {
        byte[] zip = twoEntries(ZipEntry.DEFLATED);
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int header = centralHeader(zip, 0);
        long compressed = b.getInt(header + 20);
        b.putInt(header + 24, (int) (compressed * ZipArchive.MAX_DEFLATE_RATIO + 1025)); // uncompressed size
        try (ZipArchive archive = open(zip)) {
            CheckpointFormatException e =
                    assertThrows(CheckpointFormatException.class, () -> archive.read("archive/a"));
            assertTrue(e.getMessage().startsWith("t.pth: corrupt zip: 'archive/a' claims to inflate "), e.getMessage());
        }
    }

    @Test
    void refusesAStoredEntryWhoseSizesDisagree() throws IOException {
        byte[] zip = twoEntries(ZipEntry.STORED);
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int header = centralHeader(zip, 1);
        b.putInt(header + 24, 1 << 30); // claims 1 GiB of a 6-byte entry
        try (ZipArchive archive = open(zip)) {
            CheckpointFormatException e =
                    assertThrows(CheckpointFormatException.class, () -> archive.read("archive/b"));
            assertEquals(
                    "t.pth: corrupt zip: STORED entry 'archive/b' has 6 bytes but claims 1073741824", e.getMessage());
        }
    }

    @Test
    void readsTheDirectoryInAFewPositionedReads() throws IOException {
        // On HDFS each positioned read is a request to a DataNode: the library's many small reads of the central
        // directory must come from the channel's read-ahead buffer (without it: dozens of reads here).
        byte[] bytes = Fixtures.bytes("small_cnn.pth");
        RandomAccessSource file = RandomAccessSource.of(bytes);
        int[] reads = {0};
        RandomAccessSource counting = new RandomAccessSource() {
            @Override
            public long length() {
                return file.length();
            }

            @Override
            public void readFully(long position, byte[] buffer, int offset, int length) throws IOException {
                reads[0]++;
                file.readFully(position, buffer, offset, length);
            }
        };
        try (ZipArchive zip = ZipArchive.open(counting, "t.pth")) {
            assertTrue(zip.names().size() > 10, zip.names().toString());
            assertTrue(reads[0] <= 4, reads[0] + " positioned reads to open the zip");
        }
    }
}
