package org.refconv.data.demo;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * An IDX file (the MNIST family's format): big-endian magic {@code 0x0000 0x08 <rank>}, one int per dimension,
 * then unsigned bytes. Gzipped files (as Debian ships them) are read transparently.
 */
public record IdxFile(int[] dims, byte[] data) {

    public static IdxFile read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(
                        file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw)) {
            int magic = in.readInt();
            if ((magic >>> 8) != 0x08) {
                throw new IOException(
                        file + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int[] dims = new int[magic & 0xFF];
            long size = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = in.readInt();
                size *= dims[i];
            }
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + ": too large for one array (" + size + " bytes)");
            }
            byte[] data = new byte[(int) size];
            in.readFully(data);
            return new IdxFile(dims, data);
        }
    }

    public int count() {
        return dims[0];
    }

    /** Bytes per item (28*28 for an image, 1 for a label). */
    public int itemSize() {
        return data.length / dims[0];
    }
}
