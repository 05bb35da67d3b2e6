package org.refconv.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Reading and atomically writing files through Hadoop's FileSystem, so that the same code reads and writes
 * {@code file://}, {@code hdfs://} or any other Hadoop filesystem: every job's checkpoints, JSON, CSV and PNG go through
 * here. A path without a scheme resolves against the
 * configuration's default filesystem (the local one unless {@code fs.defaultFS} says otherwise), as in Spark.
 */
public final class HadoopFiles {
    private HadoopFiles() {}

    /** Opens {@code uri} for reading; the stream is seekable and supports positioned reads. */
    public static FSDataInputStream open(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        return fileSystem(path, conf).open(path);
    }

    public static boolean exists(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        return fileSystem(path, conf).exists(path);
    }

    /** The file's text (UTF-8), or empty when there is no file. */
    public static Optional<String> readText(String uri, Configuration conf) throws IOException {
        if (!exists(uri, conf)) {
            return Optional.empty();
        }
        try (InputStream in = open(uri, conf)) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** Writes {@code text} (UTF-8) atomically ({@link #writeAtomically}). */
    public static void writeText(String uri, String text, Configuration conf) throws IOException {
        writeBytes(uri, text.getBytes(StandardCharsets.UTF_8), conf);
    }

    /** Writes {@code text} (UTF-8) atomically, the file carrying exactly {@code permission} (no umask) from the start. */
    public static void writeText(String uri, String text, Configuration conf, FsPermission permission)
            throws IOException {
        writeAtomically(uri, conf, permission, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code bytes} atomically ({@link #writeAtomically}). */
    public static void writeBytes(String uri, byte[] bytes, Configuration conf) throws IOException {
        writeAtomically(uri, conf, out -> out.write(bytes));
    }

    /** Size in bytes of the file at {@code uri}. */
    public static long length(String uri, Configuration conf) throws IOException {
        Path path = new Path(uri);
        FileStatus status = fileSystem(path, conf).getFileStatus(path);
        if (status.isDirectory()) {
            throw new FileNotFoundException(uri + " is a directory, not a checkpoint file");
        }
        return status.getLen();
    }

    /**
     * Writes {@code uri} so that readers see either the old file or the complete new one: {@code writer} fills a
     * hidden temporary file in the same directory ({@code .<name>.tmp-<uuid>}), which is then renamed onto
     * {@code uri}. If the writer (or closing, or renaming) fails, the temporary file is deleted and an existing
     * file at {@code uri} is left as it was. HDFS's FileSystem rename does not overwrite, so an existing target is
     * replaced there with FileContext's atomic overwriting rename; the local filesystem replaces it directly.
     */
    public static void writeAtomically(String uri, Configuration conf, IOConsumer<OutputStream> writer)
            throws IOException {
        writeAtomically(uri, conf, null, writer);
    }

    /**
     * {@link #writeAtomically(String, Configuration, IOConsumer)} with the file's permission set explicitly (umask not
     * applied) while it is still open and empty, so it never has any other: e.g. a file others must not write.
     */
    public static void writeAtomically(
            String uri, Configuration conf, FsPermission permission, IOConsumer<OutputStream> writer)
            throws IOException {
        Path given = new Path(uri);
        FileSystem fs = fileSystem(given, conf);
        Path target = fs.makeQualified(given);
        if (fs.exists(target) && fs.getFileStatus(target).isDirectory()) {
            throw new IOException("cannot write " + uri + ": it is a directory");
        }
        Path temporary = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
        try {
            try (OutputStream out = fs.create(temporary, false)) {
                if (permission != null) {
                    fs.setPermission(temporary, permission);
                }
                writer.accept(out);
            }
            renameReplacing(fs, temporary, target, conf);
        } catch (IOException | RuntimeException | Error failure) {
            try {
                fs.delete(temporary, false);
            } catch (IOException cleanupFailure) {
                failure.addSuppressed(cleanupFailure);
            }
            throw failure;
        }
    }

    private static void renameReplacing(FileSystem fs, Path source, Path target, Configuration conf)
            throws IOException {
        if (fs.rename(source, target)) {
            return;
        }
        // HDFS's FileSystem.rename never replaces a file; FileContext's rename with OVERWRITE does, in one atomic
        // step (deleting first would leave a moment, and after a kill a state, with no file at all).
        FileContext.getFileContext(target.toUri(), conf != null ? conf : new Configuration())
                .rename(source, target, Options.Rename.OVERWRITE);
    }

    /**
     * The filesystem of {@code path}; for local paths the raw one, because the default checksummed local
     * filesystem would leave a {@code .crc} file next to every checkpoint.
     */
    public static FileSystem fileSystem(Path path, Configuration conf) throws IOException {
        FileSystem fs = path.getFileSystem(conf != null ? conf : new Configuration());
        return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    }
}
