package org.refconv.data.prepare;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/** An OutputFile that computes the SHA-256 of everything written, so the manifest's checksum costs no re-read. */
final class DigestingOutputFile implements OutputFile {
    private final OutputFile delegate;
    private final MessageDigest digest;

    DigestingOutputFile(OutputFile delegate) {
        this.delegate = delegate;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hex SHA-256 of the bytes written so far (call after the writer is closed). */
    String sha256() {
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
        return wrap(delegate.create(blockSizeHint));
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
        return wrap(delegate.createOrOverwrite(blockSizeHint));
    }

    @Override
    public boolean supportsBlockSize() {
        return delegate.supportsBlockSize();
    }

    @Override
    public long defaultBlockSize() {
        return delegate.defaultBlockSize();
    }

    @Override
    public String getPath() {
        return delegate.getPath();
    }

    private PositionOutputStream wrap(PositionOutputStream out) {
        digest.reset();
        return new PositionOutputStream() {
            @Override
            public long getPos() throws IOException {
                return out.getPos();
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                digest.update((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                digest.update(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }
}
