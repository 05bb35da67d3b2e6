package org.refconv.data.prepare;

/** The output location is taken and {@code --overwrite} was not given. */
public class OutputExistsException extends RuntimeException {
    public OutputExistsException(String message) {
        super(message);
    }
}
