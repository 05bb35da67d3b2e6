package org.refconv.data.prepare;

import org.refconv.cli.ExitCode;
import org.refconv.cli.JobFailure;

/** The output location is taken and {@code --overwrite} was not given. */
public class OutputExistsException extends JobFailure {
    public OutputExistsException(String message) {
        super(ExitCode.OUTPUT_EXISTS, "", message);
    }
}
