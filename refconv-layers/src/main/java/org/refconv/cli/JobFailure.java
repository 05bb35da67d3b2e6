package org.refconv.cli;

/**
 * A failure that a job main reports in one line and ends with its own exit code, because a person has to act on it
 * (a retry would fail the same way): a bad input layout, an output in the way, a failed verification.
 */
public class JobFailure extends RuntimeException {

    private final ExitCode exitCode;
    private final String reportPrefix;

    /** @param reportPrefix what the report says before the message, e.g. {@code "bad input layout: "} */
    protected JobFailure(ExitCode exitCode, String reportPrefix, String message) {
        super(message);
        this.exitCode = exitCode;
        this.reportPrefix = reportPrefix;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    /** The line printed after {@code "job: "}. */
    public String report() {
        return reportPrefix + getMessage();
    }
}
