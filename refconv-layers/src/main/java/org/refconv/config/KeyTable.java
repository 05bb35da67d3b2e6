package org.refconv.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The settings of one job, each declared once as a {@link Key}: the defaults, the parsing of a config file plus
 * command-line overrides, the check of a {@code conf/*.conf} file and the config hash all derive from this table.
 */
public final class KeyTable {

    private final String job;
    private final Map<String, Key<?>> keys = new LinkedHashMap<>();

    private KeyTable(String job, List<Key<?>> keys) {
        this.job = job;
        for (Key<?> k : keys) {
            if (this.keys.put(k.name(), k) != null) {
                throw new IllegalArgumentException(job + ": key '" + k.name() + "' declared twice");
            }
        }
    }

    public static KeyTable of(String job, Key<?>... keys) {
        return new KeyTable(job, List.of(keys));
    }

    /**
     * Collects a job's keys as they are declared, so that the table is not a second list of them: {@code static final
     * Key<Integer> EPOCHS = TABLE.add(Key.positiveInt(...))} in declaration order, then {@code KEYS = TABLE.build()}.
     */
    public static Builder builder(String job) {
        return new Builder(job);
    }

    /** See {@link #builder}. */
    public static final class Builder {
        private final String job;
        private final List<Key<?>> keys = new ArrayList<>();

        private Builder(String job) {
            this.job = job;
        }

        public <T> Key<T> add(Key<T> key) {
            keys.add(key);
            return key;
        }

        public KeyTable build() {
            return new KeyTable(job, keys);
        }
    }

    /** This table with {@code more} keys after its own (a job that extends another's settings). */
    public KeyTable plus(String job, Key<?>... more) {
        List<Key<?>> all = new ArrayList<>(keys.values());
        all.addAll(List.of(more));
        return new KeyTable(job, all);
    }

    public String job() {
        return job;
    }

    public List<Key<?>> keys() {
        return List.copyOf(keys.values());
    }

    public boolean contains(String name) {
        return keys.containsKey(name);
    }

    /** Every key with its default value, in declaration order. */
    public Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        keys.values().forEach(k -> d.put(k.name(), k.defaultValue()));
        return Collections.unmodifiableMap(d);
    }

    /** Parses every key (unknown keys refused, each error naming the file:line or --key it came from). */
    public Values parse(Settings settings) {
        ConfigValues v = new ConfigValues(settings, defaults());
        Map<String, Object> typed = new LinkedHashMap<>();
        Map<String, String> raw = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (Key<?> k : keys.values()) {
            typed.put(k.name(), k.parse(v));
            raw.put(k.name(), v.string(k.name()));
            origins.put(k.name(), v.origin(k.name()));
        }
        return new Values(typed, raw, origins);
    }

    /** Reads a {@code key = value} file and parses it over the defaults: the check of a {@code conf/*.conf} file. */
    public Values parseFile(Path file) {
        Settings s = new Settings();
        s.readFile(file);
        return parse(s);
    }

    /**
     * A hash of the {@link Key.Kind#TRAJECTORY} keys' values: equal hashes mean a checkpoint of one run may be resumed
     * by the other. Values are taken as parsed ({@code 0.10} and {@code 0.1} hash alike), keys in name order.
     */
    public String hash(Values values) {
        Map<String, String> sorted = trajectory(values);
        StringBuilder text = new StringBuilder();
        sorted.forEach((k, val) -> text.append(k).append('=').append(val).append('\n'));
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The {@link Key.Kind#TRAJECTORY} keys whose parsed values differ, each as {@code key: before -> after} in name
     * order: empty exactly when the two {@link #hash}es are equal.
     */
    public List<String> trajectoryChanges(Values before, Values after) {
        Map<String, String> a = trajectory(before);
        Map<String, String> b = trajectory(after);
        List<String> changes = new ArrayList<>();
        a.forEach((k, v) -> {
            if (!v.equals(b.get(k))) {
                changes.add(k + ": " + v + " -> " + b.get(k));
            }
        });
        return changes;
    }

    private Map<String, String> trajectory(Values values) {
        Map<String, String> sorted = new TreeMap<>();
        for (Key<?> k : keys.values()) {
            if (k.kind() == Key.Kind.TRAJECTORY) {
                sorted.put(k.name(), String.valueOf(values.get(k)));
            }
        }
        return sorted;
    }
}
