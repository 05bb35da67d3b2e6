package org.refconv.data.input;

/**
 * A shard that cannot be decoded: the file and the row group are named. It recurs on every read of that row group, so
 * the training driver ends the run at the first one rather than retrying the attempt.
 */
public final class CorruptInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CorruptInputException(RowGroupRef group, Throwable cause) {
        super(
                group.file() + ": row group " + group.index() + " (" + group.rows() + " rows) cannot be read: " + cause,
                cause);
    }
}
