package org.refconv.config;

import java.io.Serializable;
import java.util.Map;

/** A job's parsed settings ({@link Values} of its {@link KeyTable}), read by key: {@code config.get(Job.EPOCHS)}. */
public abstract class JobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Values values;

    protected JobConfig(Values values) {
        this.values = values;
    }

    /** The parsed values themselves, e.g. for {@link KeyTable#hash}. */
    protected final Values values() {
        return values;
    }

    public final <T> T get(Key<T> key) {
        return values.get(key);
    }

    /** Where the key's value came from, for error messages. */
    public final String origin(Key<?> key) {
        return values.origin(key);
    }

    /** Every key's value as given (or its default): what a run records and reads back. */
    public final Map<String, String> asStrings() {
        return values.raw();
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && asStrings().equals(((JobConfig) o).asStrings());
    }

    @Override
    public final int hashCode() {
        return asStrings().hashCode();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + asStrings();
    }
}
