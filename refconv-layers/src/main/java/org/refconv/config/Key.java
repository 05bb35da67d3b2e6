package org.refconv.config;

import java.util.List;
import java.util.Objects;

/**
 * One setting of a job, declared once: its name, default, parser (which validates and names the origin of a bad
 * value), a one-line doc, and its {@link Kind}. A job's {@link KeyTable} derives its defaults, parsing, the check of
 * its {@code conf/*.conf} file and its config hash from these.
 */
public final class Key<T> {

    /** What a setting means for resuming a run. */
    public enum Kind {
        /** Shapes the training trajectory: part of the config hash, so a checkpoint resumes only under equal values. */
        TRAJECTORY,
        /** How a run executes (world size, device, threads, precision, sync): may differ when a run resumes. */
        RESUMABLE,
        /** Where results go, how often they are written, which cluster: never part of the hash. */
        OPERATIONAL
    }

    /** Reads the key's value from {@code values}; throws {@link ConfigException} naming the origin of a bad one. */
    @FunctionalInterface
    public interface Parser<T> {
        T parse(ConfigValues values, String key);
    }

    private final String name;
    private final String defaultValue;
    private final Parser<T> parser;
    private final Kind kind;
    private final String doc;

    private Key(String name, String defaultValue, Kind kind, String doc, Parser<T> parser) {
        this.name = Objects.requireNonNull(name, "name");
        this.defaultValue = Objects.requireNonNull(defaultValue, name + ": default");
        this.kind = Objects.requireNonNull(kind, name + ": kind");
        this.doc = Objects.requireNonNull(doc, name + ": doc");
        this.parser = Objects.requireNonNull(parser, name + ": parser");
    }

    public static <T> Key<T> of(String name, String defaultValue, Kind kind, String doc, Parser<T> parser) {
        return new Key<>(name, defaultValue, kind, doc, parser);
    }

    public static Key<String> string(String name, String defaultValue, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, ConfigValues::string);
    }

    /** A string that must not be empty (its default is empty: the user gives it). */
    public static Key<String> required(String name, Kind kind, String doc) {
        return of(name, "", kind, doc, ConfigValues::required);
    }

    public static Key<Integer> positiveInt(String name, String defaultValue, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, ConfigValues::positiveInt);
    }

    public static Key<Integer> intIn(String name, String defaultValue, long min, long max, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, (v, k) -> (int) v.rangedLong(k, min, max));
    }

    public static Key<Long> longValue(String name, String defaultValue, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, ConfigValues::longValue);
    }

    public static Key<Double> doubleIn(
            String name, String defaultValue, double min, double max, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, (v, k) -> v.doubleValue(k, min, max));
    }

    public static Key<Boolean> bool(String name, String defaultValue, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, ConfigValues::bool);
    }

    public static Key<String> oneOf(String name, String defaultValue, List<String> allowed, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, (v, k) -> v.oneOf(k, allowed));
    }

    /** One of {@code allowed} (case-insensitive), turned into its typed value by {@code convert}. */
    public static <T> Key<T> oneOf(
            String name,
            String defaultValue,
            List<String> allowed,
            java.util.function.Function<String, T> convert,
            Kind kind,
            String doc) {
        return of(name, defaultValue, kind, doc, (v, k) -> convert.apply(v.oneOf(k, allowed)));
    }

    public String name() {
        return name;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public Kind kind() {
        return kind;
    }

    public String doc() {
        return doc;
    }

    T parse(ConfigValues values) {
        return parser.parse(values, name);
    }

    @Override
    public String toString() {
        return name;
    }
}
