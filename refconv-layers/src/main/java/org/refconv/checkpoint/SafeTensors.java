package org.refconv.checkpoint;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.refconv.io.HadoopFiles;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON header, then
 * the tensors' raw bytes. Reading is a single forward pass (no seeking), so any stream works; every claim of the
 * header is checked and failures are {@link CheckpointFormatException}s naming the file and the tensor.
 */
public final class SafeTensors {
    /** Real headers are kilobytes; a larger length means a corrupt file or not a safetensors file at all. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private SafeTensors() {}

    public static StateDict read(String uri, Configuration conf) throws IOException {
        long length = HadoopFiles.length(uri, conf);
        try (InputStream in = new BufferedInputStream(HadoopFiles.open(uri, conf), 1 << 16)) {
            return read(in, uri, length);
        }
    }

    public static StateDict read(InputStream in) throws IOException {
        return read(in, null);
    }

    /** Reads from {@code in} (not closed); {@code sourceName} is only used in error messages. */
    public static StateDict read(InputStream in, String sourceName) throws IOException {
        return read(in, sourceName, -1);
    }

    /** {@code fileLength} is negative when unknown; when known, lying lengths are reported before reading data. */
    static StateDict read(InputStream in, String source, long fileLength) throws IOException {
        byte[] lengthBytes = in.readNBytes(Long.BYTES);
        if (lengthBytes.length < Long.BYTES) {
            throw CheckpointFormatException.in(
                    source,
                    "file too short (" + lengthBytes.length + " bytes): a "
                            + "safetensors file starts with an 8-byte header length");
        }
        long headerLength =
                ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw CheckpointFormatException.in(
                    source,
                    "header length " + Long.toUnsignedString(headerLength) + " is absurd (limit " + MAX_HEADER_BYTES
                            + "): not a safetensors file, or a corrupt one");
        }
        if (fileLength >= 0 && headerLength > fileLength - Long.BYTES) {
            throw CheckpointFormatException.in(
                    source, "header length " + headerLength + " exceeds the file size (" + fileLength + " bytes)");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw CheckpointFormatException.in(
                    source,
                    "truncated header: expected " + headerLength + " bytes, the " + "file ends after "
                            + headerBytes.length);
        }
        SafeTensorsHeader header = SafeTensorsHeader.parse(headerBytes, source);
        long dataLength = fileLength >= 0 ? fileLength - Long.BYTES - headerLength : -1;
        Map<String, HostTensor> tensors =
                readTensors(in, header.inDataOrder(dataLength, source), dataLength >= 0, source);
        if (dataLength < 0 && in.read() != -1) {
            throw CheckpointFormatException.in(
                    source,
                    "trailing bytes after the last tensor: the header's "
                            + "data_offsets do not cover the data buffer");
        }
        StateDict stateDict = new StateDict();
        for (SafeTensorsHeader.Entry entry : header.entries()) {
            stateDict.put(entry.name(), tensors.get(entry.name()));
        }
        stateDict.metadata().putAll(header.metadata());
        return stateDict;
    }

    /**
     * Reads the tensors' bytes, which {@code inDataOrder} guarantees to be consecutive from data byte 0. When the
     * sizes were checked against the file's length, each tensor is read straight into its array; otherwise memory
     * grows only with the bytes actually read, so a lying header on a short stream cannot allocate gigabytes.
     */
    private static Map<String, HostTensor> readTensors(
            InputStream in, List<SafeTensorsHeader.Entry> inDataOrder, boolean sizesChecked, String source)
            throws IOException {
        Map<String, HostTensor> tensors = new HashMap<>();
        for (SafeTensorsHeader.Entry entry : inDataOrder) {
            int length;
            try {
                length = HostTensor.arrayLength(entry.byteLength());
            } catch (IllegalArgumentException tooLarge) {
                throw CheckpointFormatException.in(source, "tensor '" + entry.name() + "': " + tooLarge.getMessage());
            }
            byte[] bytes;
            int read;
            if (sizesChecked) {
                bytes = new byte[length];
                read = in.readNBytes(bytes, 0, length);
            } else {
                bytes = in.readNBytes(length);
                read = bytes.length;
            }
            if (read < length) {
                throw CheckpointFormatException.in(
                        source,
                        "truncated data: tensor '" + entry.name() + "' needs data "
                                + "bytes [" + entry.begin() + ", " + entry.end() + ") but the file ends at data byte "
                                + (entry.begin() + read));
            }
            tensors.put(entry.name(), HostTensor.wrap(entry.dtype(), entry.shape(), bytes));
        }
        return tensors;
    }

    /** Writes {@code stateDict} to {@code uri} atomically (see {@link HadoopFiles#writeAtomically}). */
    public static void write(StateDict stateDict, String uri, Configuration conf) throws IOException {
        HadoopFiles.writeAtomically(uri, conf, out -> write(stateDict, out));
    }

    /** Writes the tensors in state dict order, contiguously; flushes but does not close {@code out}. */
    public static void write(StateDict stateDict, OutputStream out) throws IOException {
        byte[] header = SafeTensorsHeader.serialize(stateDict);
        out.write(ByteBuffer.allocate(Long.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length)
                .array());
        out.write(header);
        for (Map.Entry<String, HostTensor> entry : stateDict.entries()) {
            entry.getValue().writeTo(out);
        }
        out.flush();
    }
}
