package org.refconv.checkpoint;

import java.io.IOException;

/** A checkpoint file that is malformed, truncated, of an unsupported kind, or refused for safety. */
public class CheckpointFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public CheckpointFormatException(String message) {
        super(message);
    }

    public CheckpointFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A message prefixed with the file it is about ({@code "<stream>"} when reading an anonymous stream). */
    static CheckpointFormatException in(String source, String message) {
        return new CheckpointFormatException(describe(source) + ": " + message);
    }

    static String describe(String source) {
        return source != null ? source : "<stream>";
    }
}
