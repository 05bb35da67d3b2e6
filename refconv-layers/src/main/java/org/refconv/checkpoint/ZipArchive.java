package org.refconv.checkpoint;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A zip file read through its central directory. PyTorch writes its checkpoints as STORED entries whose sizes are
 * only in a trailing data descriptor, which {@code java.util.zip.ZipInputStream} rejects ("only DEFLATED entries
 * can have EXT descriptor") and which cannot be delimited reliably in a forward-only stream; the central directory
 * at the end of the file has every size and offset, and lets the reader fetch only the entries it needs.
 * Supports ZIP64 (PyTorch always writes its records), STORED and DEFLATED entries, and checks CRCs.
 */
final class ZipArchive {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int ZIP64_END_OF_DIRECTORY = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int END_OF_DIRECTORY_SIZE = 22;
    private static final int MAX_COMMENT = 0xffff;
    private static final long UNSET_32 = 0xffffffffL;
    /** DEFLATE cannot compress more than about 1032:1; a larger claim would only make us allocate for nothing. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private record Entry(String name, int method, long crc, long compressedSize, long size, long localHeaderOffset) {}

    private final RandomAccessSource file;
    private final String source;
    private final Map<String, Entry> entries;

    private ZipArchive(RandomAccessSource file, String source, Map<String, Entry> entries) {
        this.file = file;
        this.source = source;
        this.entries = entries;
    }

    static ZipArchive open(RandomAccessSource file, String source) throws IOException {
        long length = file.length();
        int tailLength = (int) Math.min(length, END_OF_DIRECTORY_SIZE + MAX_COMMENT);
        byte[] tail = file.read(length - tailLength, tailLength);
        int end = tailLength - END_OF_DIRECTORY_SIZE;
        while (end >= 0 && int32(tail, end) != END_OF_DIRECTORY) {
            end--;
        }
        if (end < 0) {
            throw corrupt(source, "no end-of-central-directory record (truncated file?)");
        }
        long count = uint16(tail, end + 10);
        long directorySize = uint32(tail, end + 12);
        long directoryOffset = uint32(tail, end + 16);
        if (end >= 20 && int32(tail, end - 20) == ZIP64_LOCATOR) {
            long zip64Offset = int64(tail, end - 20 + 8);
            byte[] record = readChecked(file, zip64Offset, 56, source, "ZIP64 end-of-central-directory record");
            if (int32(record, 0) != ZIP64_END_OF_DIRECTORY) {
                throw corrupt(source, "bad ZIP64 end-of-central-directory signature at " + zip64Offset);
            }
            count = int64(record, 32);
            directorySize = int64(record, 40);
            directoryOffset = int64(record, 48);
        }
        if (directorySize < 0 || directorySize > Integer.MAX_VALUE || count < 0 || count > directorySize / 46) {
            throw corrupt(
                    source, "implausible central directory (" + count + " entries in " + directorySize + " bytes)");
        }
        byte[] directory = readChecked(file, directoryOffset, (int) directorySize, source, "central directory");
        return new ZipArchive(file, source, parseDirectory(directory, (int) count, source));
    }

    private static Map<String, Entry> parseDirectory(byte[] directory, int count, String source)
            throws CheckpointFormatException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        int at = 0;
        try {
            for (int i = 0; i < count; i++) {
                if (int32(directory, at) != CENTRAL_HEADER) {
                    throw corrupt(source, "bad central directory entry signature at entry " + i);
                }
                int method = uint16(directory, at + 10);
                long crc = uint32(directory, at + 16);
                long compressedSize = uint32(directory, at + 20);
                long size = uint32(directory, at + 24);
                int nameLength = uint16(directory, at + 28);
                int extraLength = uint16(directory, at + 30);
                int commentLength = uint16(directory, at + 32);
                long localHeaderOffset = uint32(directory, at + 42);
                String name = new String(directory, at + 46, nameLength, StandardCharsets.UTF_8);
                // ZIP64 extra field: the 64-bit values of exactly those fields stored as 0xffffffff, in this order.
                int extra = at + 46 + nameLength;
                for (int e = extra; e + 4 <= extra + extraLength; e += 4 + uint16(directory, e + 2)) {
                    if (uint16(directory, e) == 0x0001) {
                        int value = e + 4;
                        if (size == UNSET_32) {
                            size = int64(directory, value);
                            value += 8;
                        }
                        if (compressedSize == UNSET_32) {
                            compressedSize = int64(directory, value);
                            value += 8;
                        }
                        if (localHeaderOffset == UNSET_32) {
                            localHeaderOffset = int64(directory, value);
                        }
                    }
                }
                entries.put(name, new Entry(name, method, crc, compressedSize, size, localHeaderOffset));
                at = extra + extraLength + commentLength;
            }
        } catch (ArrayIndexOutOfBoundsException overrun) {
            throw corrupt(source, "central directory ends in the middle of an entry");
        }
        return entries;
    }

    /** Entry names, in central directory order. */
    List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The uncompressed content of entry {@code name}, CRC-checked. */
    byte[] read(String name) throws IOException {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw CheckpointFormatException.in(source, "zip entry '" + name + "' is missing");
        }
        if (entry.size() < 0 || entry.compressedSize() < 0) {
            throw corrupt(source, "negative size for '" + name + "'");
        }
        if (entry.method() != 0 && entry.size() > entry.compressedSize() * MAX_DEFLATE_RATIO + 1024) {
            throw corrupt(
                    source, "'" + name + "' claims to inflate " + entry.compressedSize() + " bytes to " + entry.size());
        }
        if (entry.size() > Integer.MAX_VALUE - 8 || entry.compressedSize() > Integer.MAX_VALUE - 8) {
            throw CheckpointFormatException.in(
                    source,
                    "zip entry '" + name + "' has " + entry.size() + " bytes: entries over 2 GiB are not supported");
        }
        byte[] header = readChecked(file, entry.localHeaderOffset(), 30, source, "local header of '" + name + "'");
        if (int32(header, 0) != LOCAL_HEADER) {
            throw corrupt(source, "bad local header signature for '" + name + "'");
        }
        long dataOffset = entry.localHeaderOffset() + 30 + uint16(header, 26) + uint16(header, 28);
        byte[] stored = readChecked(file, dataOffset, (int) entry.compressedSize(), source, "data of '" + name + "'");
        byte[] content = switch (entry.method()) {
            case 0 -> stored;
            case 8 -> inflate(stored, (int) entry.size(), name);
            default ->
                throw CheckpointFormatException.in(
                        source,
                        "zip entry '" + name + "' uses compression method " + entry.method()
                                + " (only STORED and DEFLATED are supported)");
        };
        CRC32 crc = new CRC32();
        crc.update(content);
        if (content.length != entry.size() || crc.getValue() != entry.crc()) {
            throw corrupt(source, "CRC or size mismatch in '" + name + "' (damaged file)");
        }
        return content;
    }

    private byte[] inflate(byte[] compressed, int size, String name) throws CheckpointFormatException {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(compressed);
            byte[] content = new byte[size];
            int produced = 0;
            while (produced < size && !inflater.finished()) {
                int n = inflater.inflate(content, produced, size - produced);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                produced += n;
            }
            if (produced != size) {
                throw corrupt(source, "'" + name + "' inflates to " + produced + " bytes, expected " + size);
            }
            return content;
        } catch (DataFormatException e) {
            throw corrupt(source, "'" + name + "' is not valid DEFLATE data: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    private static byte[] readChecked(RandomAccessSource file, long offset, int length, String source, String what)
            throws IOException {
        try {
            return file.read(offset, length);
        } catch (EOFException e) {
            throw corrupt(source, what + " lies beyond the end of the file (truncated file?)");
        }
    }

    private static CheckpointFormatException corrupt(String source, String message) {
        return CheckpointFormatException.in(source, "corrupt zip: " + message);
    }

    private static int uint16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static int int32(byte[] b, int at) {
        return uint16(b, at) | uint16(b, at + 2) << 16;
    }

    private static long uint32(byte[] b, int at) {
        return int32(b, at) & UNSET_32;
    }

    private static long int64(byte[] b, int at) {
        return uint32(b, at) | uint32(b, at + 4) << 32;
    }
}
