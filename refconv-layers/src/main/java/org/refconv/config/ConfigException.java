package org.refconv.config;

/** A configuration error; the message starts with where the bad value came from (file:line or --key). */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
