package org.refconv.publish;

/** A model failed a check before publishing (keys or shapes, folded vs trained logits): nothing was published. */
public class VerificationException extends RuntimeException {
    public VerificationException(String message) {
        super(message);
    }
}
