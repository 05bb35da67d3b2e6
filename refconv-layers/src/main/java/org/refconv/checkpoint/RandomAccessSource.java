package org.refconv.checkpoint;

import java.io.EOFException;
import java.io.IOException;

import org.apache.hadoop.fs.PositionedReadable;

/** Bytes that can be read at any position: a file opened through Hadoop, or an array already in memory. */
interface RandomAccessSource {
    long length();

    /** Fills {@code buffer} from {@code position}; the range is within the source (see {@link #read}). */
    void readFully(long position, byte[] buffer) throws IOException;

    /**
     * Reads {@code length} bytes at {@code position}, checking the range before allocating anything (a corrupt
     * or malicious file cannot make us allocate for bytes it does not have).
     */
    default byte[] read(long position, int length) throws IOException {
        if (position < 0 || length < 0 || position > length() - length) {
            throw new EOFException("reading " + length + " bytes at " + position + " of " + length());
        }
        byte[] buffer = new byte[length];
        readFully(position, buffer);
        return buffer;
    }

    static RandomAccessSource of(byte[] bytes) {
        return new RandomAccessSource() {
            @Override
            public long length() {
                return bytes.length;
            }

            @Override
            public void readFully(long position, byte[] buffer) {
                System.arraycopy(bytes, (int) position, buffer, 0, buffer.length);
            }
        };
    }

    /** A file of {@code length} bytes; positioned reads leave the stream's own position alone. */
    static RandomAccessSource of(PositionedReadable file, long length) {
        return new RandomAccessSource() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public void readFully(long position, byte[] buffer) throws IOException {
                file.readFully(position, buffer, 0, buffer.length);
            }
        };
    }
}
