package org.refconv.data.image;

/** An input that cannot become a training image; its message is the reason the quarantine report shows. */
public class BadImageException extends Exception {
    public BadImageException(String reason) {
        super(reason);
    }

    public BadImageException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
