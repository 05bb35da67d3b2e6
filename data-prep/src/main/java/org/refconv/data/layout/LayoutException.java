package org.refconv.data.layout;

import org.apache.hadoop.fs.Path;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobFailure;

/** A dataset tree that cannot be labelled correctly. The message names the file (and line) at fault. */
public class LayoutException extends JobFailure {

    public LayoutException(String message) {
        super(ExitCode.BAD_LAYOUT, "bad input layout: ", message);
    }

    public static LayoutException at(Path file, String message) {
        return new LayoutException(file + ": " + message);
    }

    public static LayoutException at(Path file, int line, String message) {
        return new LayoutException(file + ":" + line + ": " + message);
    }
}
