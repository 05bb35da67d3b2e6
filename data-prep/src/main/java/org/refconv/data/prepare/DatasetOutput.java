package org.refconv.data.prepare;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The output folder of a dataset and its commit protocol. Everything is written into a sibling temporary
 * folder {@code <name>._tmp-<run>}; the manifest is written last inside it, and the folder is then renamed
 * to {@code <name>} in one step. So a folder called {@code <name>} with a manifest is complete, and a killed
 * run leaves only a {@code ._tmp-} sibling that nothing reads.
 */
public final class DatasetOutput {
    public static final String MANIFEST = "manifest.json";
    public static final String QUARANTINE = "quarantine.tsv";
    private static final String TEMP_INFIX = "._tmp-";

    /** What is at the output location before a run. */
    public enum State {
        ABSENT,
        COMPLETE,
        INCOMPLETE
    }

    private final FileSystem fs;
    private final Path output;

    public DatasetOutput(FileSystem fs, Path output) {
        this.fs = fs;
        this.output = fs.makeQualified(output);
    }

    public Path path() {
        return output;
    }

    public State state() throws IOException {
        if (!fs.exists(output)) {
            return State.ABSENT;
        }
        return fs.isFile(new Path(output, MANIFEST)) ? State.COMPLETE : State.INCOMPLETE;
    }

    /** Refuses to go on over an existing output unless {@code overwrite}. */
    public void checkWritable(boolean overwrite) throws IOException {
        State state = state();
        if (overwrite || state == State.ABSENT) {
            return;
        }
        throw new OutputExistsException(
                state == State.COMPLETE
                        ? output + " already holds a complete dataset (" + MANIFEST
                                + "); pass --overwrite to replace it"
                        : output + " exists but has no " + MANIFEST + ": not a complete dataset (an interrupted run or "
                                + "another tool's files); pass --overwrite to replace it");
    }

    /** Temporary folders of earlier runs that never committed. */
    public List<Path> staleTemporaries() throws IOException {
        List<Path> stale = new ArrayList<>();
        Path parent = output.getParent();
        if (parent != null && fs.exists(parent)) {
            for (FileStatus s : fs.listStatus(parent)) {
                if (s.getPath().getName().startsWith(output.getName() + TEMP_INFIX)) {
                    stale.add(s.getPath());
                }
            }
        }
        return stale;
    }

    public Path createTemporary(String runId) throws IOException {
        Path temp = new Path(output.getParent(), output.getName() + TEMP_INFIX + runId);
        if (!fs.mkdirs(temp)) {
            throw new IOException("cannot create " + temp);
        }
        return temp;
    }

    /** Replaces the output by {@code temp}, which must already contain the manifest. */
    public void commit(Path temp) throws IOException {
        if (!fs.isFile(new Path(temp, MANIFEST))) {
            throw new IllegalStateException("refusing to commit " + temp + " without " + MANIFEST);
        }
        if (fs.exists(output) && !fs.delete(output, true)) {
            throw new IOException("cannot delete " + output);
        }
        if (!fs.rename(temp, output)) {
            throw new IOException("cannot rename " + temp + " to " + output);
        }
    }

    public void discard(Path temp) throws IOException {
        fs.delete(temp, true);
    }
}
