package org.refconv.publish;

import org.refconv.cli.ExitCode;
import org.refconv.cli.JobFailure;

/** A model failed a check before publishing (keys or shapes, folded vs trained logits): nothing was published. */
public class VerificationException extends JobFailure {
    public VerificationException(String message) {
        super(ExitCode.VERIFICATION_FAILED, "verification failed, nothing published: ", message);
    }
}
