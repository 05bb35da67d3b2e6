package org.refconv.checkpoint;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

import org.apache.hadoop.fs.PositionedReadable;

/** Bytes that can be read at any position: a file opened through Hadoop, or an array already in memory. */
interface RandomAccessSource {
    /** Small reads through {@link #channel()} fetch this much at once. */
    int READ_AHEAD = 8192;

    long length();

    /** Fills {@code buffer[offset, offset + length)} from {@code position}; the range is within the source. */
    void readFully(long position, byte[] buffer, int offset, int length) throws IOException;

    /**
     * Reads {@code length} bytes at {@code position}, checking the range before allocating anything (a corrupt
     * or malicious file cannot make us allocate for bytes it does not have).
     */
    default byte[] read(long position, int length) throws IOException {
        if (position < 0 || length < 0 || position > length() - length) {
            throw new EOFException("reading " + length + " bytes at " + position + " of " + length());
        }
        byte[] buffer = new byte[length];
        readFully(position, buffer, 0, length);
        return buffer;
    }

    /**
     * A read-only channel over this source with its own position, for libraries that read through
     * {@link SeekableByteChannel}. Closing it leaves the source open: its owner closes it.
     *
     * <p>Reads under {@link #READ_AHEAD} bytes are served from a buffer filled by one positioned read: a zip
     * library reads the central directory a few dozen bytes at a time, and on HDFS every positioned read is a
     * request to a DataNode. Larger reads go straight into the caller's array.
     */
    default SeekableByteChannel channel() {
        RandomAccessSource source = this;
        return new SeekableByteChannel() {
            private final byte[] buffer = new byte[READ_AHEAD];
            private long bufferStart;
            private int buffered;
            private long position;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                long left = source.length() - position;
                if (left <= 0) {
                    return dst.hasRemaining() ? -1 : 0;
                }
                int n = (int) Math.min(dst.remaining(), left);
                if (n < READ_AHEAD) {
                    if (position < bufferStart || position + n > bufferStart + buffered) {
                        buffered = (int) Math.min(READ_AHEAD, left);
                        bufferStart = position;
                        source.readFully(position, buffer, 0, buffered);
                    }
                    dst.put(buffer, (int) (position - bufferStart), n);
                } else if (dst.hasArray()) { // straight into the caller's array: one positioned read
                    source.readFully(position, dst.array(), dst.arrayOffset() + dst.position(), n);
                    dst.position(dst.position() + n);
                } else {
                    byte[] bytes = new byte[n];
                    source.readFully(position, bytes, 0, n);
                    dst.put(bytes);
                }
                position += n;
                return n;
            }

            @Override
            public int write(ByteBuffer src) {
                throw new NonWritableChannelException();
            }

            @Override
            public long position() {
                return position;
            }

            @Override
            public SeekableByteChannel position(long newPosition) {
                if (newPosition < 0) {
                    throw new IllegalArgumentException("negative position " + newPosition);
                }
                position = newPosition;
                return this;
            }

            @Override
            public long size() {
                return source.length();
            }

            @Override
            public SeekableByteChannel truncate(long size) {
                throw new NonWritableChannelException();
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    static RandomAccessSource of(byte[] bytes) {
        return new RandomAccessSource() {
            @Override
            public long length() {
                return bytes.length;
            }

            @Override
            public void readFully(long position, byte[] buffer, int offset, int length) {
                System.arraycopy(bytes, (int) position, buffer, offset, length);
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
            public void readFully(long position, byte[] buffer, int offset, int count) throws IOException {
                file.readFully(position, buffer, offset, count);
            }
        };
    }
}
