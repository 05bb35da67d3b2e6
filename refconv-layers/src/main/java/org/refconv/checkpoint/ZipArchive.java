package org.refconv.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipException;

import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;

/**
 * A zip file read through its central directory, with Apache Commons Compress. PyTorch writes its checkpoints as
 * STORED entries whose sizes are only in a trailing data descriptor, which {@code java.util.zip.ZipInputStream}
 * rejects and which cannot be delimited reliably in a forward-only stream; the central directory at the end of the
 * file has every size and offset, and lets the reader fetch only the entries it needs (positioned reads on HDFS).
 *
 * <p>What the library leaves to us, and this class adds: only STORED and DEFLATED entries (the library would also
 * run bzip2, xz, zstd, implode... decoders on hostile input); every size checked before anything is allocated
 * (see {@link #MAX_DEFLATE_RATIO}); CRCs checked (the library's ZipFile does not); duplicate names refused (two
 * readers could otherwise see two different files); and every failure a {@link CheckpointFormatException}.
 */
final class ZipArchive implements AutoCloseable {
    /**
     * DEFLATE cannot compress more than about 1032:1, so an entry claiming more is lying; with this and the file's
     * own length, an entry can make us allocate at most 1032 times the bytes the file really has.
     */
    static final long MAX_DEFLATE_RATIO = 1032;
    /** A tensor lives in one Java array. */
    private static final long MAX_ENTRY_BYTES = Integer.MAX_VALUE - 8;

    private final ZipFile zip;
    private final String source;
    private final Map<String, ZipArchiveEntry> entries;

    private ZipArchive(ZipFile zip, String source, Map<String, ZipArchiveEntry> entries) {
        this.zip = zip;
        this.source = source;
        this.entries = entries;
    }

    static ZipArchive open(RandomAccessSource file, String source) throws IOException {
        ZipFile zip;
        try {
            // Local headers are read lazily, for the entries we read (one positioned read each).
            zip = ZipFile.builder()
                    .setSeekableByteChannel(file.channel())
                    .setIgnoreLocalFileHeader(true)
                    .setUseUnicodeExtraFields(false)
                    .get();
        } catch (IOException | RuntimeException e) { // the library's unchecked exceptions on malformed input too
            throw corrupt(source, openFailure(e));
        }
        Map<String, ZipArchiveEntry> entries = new LinkedHashMap<>();
        for (ZipArchiveEntry entry : Collections.list(zip.getEntries())) {
            if (entries.put(entry.getName(), entry) != null) {
                closeQuietly(zip);
                throw corrupt(source, "entry '" + entry.getName() + "' appears twice");
            }
        }
        return new ZipArchive(zip, source, entries);
    }

    /** The library's reason, in the words this project's messages used before it (tests pin them). */
    private static String openFailure(Exception e) {
        Throwable cause = e;
        while (cause.getCause() != null
                && cause.getMessage() != null
                && cause.getMessage().startsWith("Error reading Zip content")) {
            cause = cause.getCause();
        }
        if (cause instanceof ZipException && "Archive is not a ZIP archive".equals(cause.getMessage())) {
            return "no end-of-central-directory record (truncated file?)";
        }
        return "unreadable central directory (" + cause + ")";
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
        ZipArchiveEntry entry = entries.get(name);
        if (entry == null) {
            throw CheckpointFormatException.in(source, "zip entry '" + name + "' is missing");
        }
        long size = entry.getSize();
        long compressedSize = entry.getCompressedSize();
        int method = entry.getMethod();
        if (size < 0 || compressedSize < 0) {
            throw corrupt(source, "negative size for '" + name + "'");
        }
        if (method != ZipMethod.STORED.getCode() && method != ZipMethod.DEFLATED.getCode()) {
            throw CheckpointFormatException.in(
                    source,
                    "zip entry '" + name + "' uses compression method " + method
                            + " (only STORED and DEFLATED are supported)");
        }
        if (method == ZipMethod.STORED.getCode() && size != compressedSize) {
            throw corrupt(source, "STORED entry '" + name + "' has " + compressedSize + " bytes but claims " + size);
        }
        if (method == ZipMethod.DEFLATED.getCode() && size > compressedSize * MAX_DEFLATE_RATIO + 1024) {
            throw corrupt(source, "'" + name + "' claims to inflate " + compressedSize + " bytes to " + size);
        }
        if (size > MAX_ENTRY_BYTES || compressedSize > MAX_ENTRY_BYTES) {
            throw CheckpointFormatException.in(
                    source, "zip entry '" + name + "' has " + size + " bytes: entries over 2 GiB are not supported");
        }
        if (entry.getGeneralPurposeBit().usesEncryption()) {
            throw CheckpointFormatException.in(source, "zip entry '" + name + "' is encrypted");
        }
        byte[] content = new byte[(int) size];
        int read;
        boolean longer;
        try (InputStream in = zip.getInputStream(entry)) {
            // The library checks that the stored bytes lie before the central directory, so within the file.
            read = in.readNBytes(content, 0, content.length);
            longer = in.read() != -1;
        } catch (IOException | RuntimeException e) { // truncated or invalid DEFLATE data, offsets out of range
            throw corrupt(source, "'" + name + "' is unreadable (" + e + ")");
        }
        CRC32 crc = new CRC32();
        crc.update(content, 0, read);
        if (read != size || longer || crc.getValue() != entry.getCrc()) {
            throw corrupt(source, "CRC or size mismatch in '" + name + "' (damaged file)");
        }
        return content;
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) { // a read-only channel over a source its owner closes
        }
    }

    private static CheckpointFormatException corrupt(String source, String message) {
        return CheckpointFormatException.in(source, "corrupt zip: " + message);
    }
}
