package org.refconv.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;

/**
 * The parsed settings of one job, as its {@link KeyTable} read them: the typed value of each key, the string it was
 * given as (what a run records and reads back), and where it came from (for error messages).
 */
public final class Values implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<String, Object> typed;
    private final Map<String, String> raw;
    private final Map<String, String> origins;

    Values(Map<String, Object> typed, Map<String, String> raw, Map<String, String> origins) {
        this.typed = typed;
        this.raw = raw;
        this.origins = origins;
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Key<T> key) {
        if (!typed.containsKey(key.name())) {
            throw new IllegalArgumentException("no setting '" + key.name() + "' here");
        }
        return (T) typed.get(key.name());
    }

    /** Where the key's value came from, e.g. "conf/train.conf:12 (lr)" or "default lr". */
    public String origin(Key<?> key) {
        return origins.get(key.name());
    }

    /** Every key's value as given (or its default), in declaration order: what rebuilds these values. */
    public Map<String, String> raw() {
        return Collections.unmodifiableMap(raw);
    }
}
