package org.refconv.config;

import java.util.List;
import java.util.Objects;

/**
 * One setting of a job, declared once: its name, default, parser (which validates and names the origin of a bad
 * value), a one-line doc, and its {@link Kind}. A job's {@link KeyTable} derives its defaults, parsing, the check of
 * its {@code conf/*.conf} file and its config hash from these.
 */
public record Key<T>(String name, String defaultValue, Key.Kind kind, String doc, Key.Parser<T> parser) {

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

    public Key {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(defaultValue, name + ": default");
        Objects.requireNonNull(kind, name + ": kind");
        Objects.requireNonNull(doc, name + ": doc");
        Objects.requireNonNull(parser, name + ": parser");
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

    public static Key<Integer> positiveInt(String name, int defaultValue, Kind kind, String doc) {
        return of(name, String.valueOf(defaultValue), kind, doc, ConfigValues::positiveInt);
    }

    public static Key<Integer> intIn(String name, int defaultValue, long min, long max, Kind kind, String doc) {
        return of(name, String.valueOf(defaultValue), kind, doc, (v, k) -> (int) v.rangedLong(k, min, max));
    }

    public static Key<Long> longValue(String name, long defaultValue, Kind kind, String doc) {
        return of(name, String.valueOf(defaultValue), kind, doc, ConfigValues::longValue);
    }

    public static Key<Double> doubleIn(
            String name, double defaultValue, double min, double max, Kind kind, String doc) {
        return of(name, String.valueOf(defaultValue), kind, doc, (v, k) -> v.doubleValue(k, min, max));
    }

    public static Key<Boolean> bool(String name, boolean defaultValue, Kind kind, String doc) {
        return of(name, String.valueOf(defaultValue), kind, doc, ConfigValues::bool);
    }

    public static Key<String> oneOf(String name, String defaultValue, List<String> allowed, Kind kind, String doc) {
        return of(name, defaultValue, kind, doc, (v, k) -> v.oneOf(k, allowed));
    }

    /** One of an enum's constants, written in lower case with '-' for '_' (CHANNELS_LAST: channels-last). */
    public static <E extends Enum<E>> Key<E> enumOf(String name, E defaultValue, Kind kind, String doc) {
        Class<E> type = defaultValue.getDeclaringClass();
        List<String> allowed = java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .toList();
        return oneOf(
                name,
                allowed.get(defaultValue.ordinal()),
                allowed,
                v -> Enum.valueOf(type, v.toUpperCase(java.util.Locale.ROOT).replace('-', '_')),
                kind,
                doc);
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

    T parse(ConfigValues values) {
        return parser.parse(values, name);
    }

    /** {@code text} as this key's value, e.g. a conf file's line compared with the default; {@code origin} names it. */
    public T parse(String text, String origin) {
        Settings one = new Settings();
        one.put(name, text, origin);
        return parser.parse(new ConfigValues(one, java.util.Map.of(name, defaultValue)), name);
    }

    @Override
    public String toString() {
        return name;
    }
}
