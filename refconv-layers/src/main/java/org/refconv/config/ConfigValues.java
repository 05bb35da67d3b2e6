package org.refconv.config;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed reads of {@link Settings} over a job's defaults, shared by every job's config class. Each error names
 * where the bad value came from (file:line or --key).
 */
public final class ConfigValues {

    private final Settings settings;
    private final Map<String, String> defaults;

    /** Refuses keys the job does not know, listing the known ones. */
    public ConfigValues(Settings settings, Map<String, String> defaults) {
        for (Map.Entry<String, Settings.Setting> e : settings.asMap().entrySet()) {
            if (!defaults.containsKey(e.getKey())) {
                throw new ConfigException(e.getValue().origin() + ": unknown key '" + e.getKey() + "' (known: "
                        + String.join(", ", defaults.keySet()) + ")");
            }
        }
        this.settings = settings;
        this.defaults = defaults;
    }

    public String origin(String key) {
        Settings.Setting s = settings.get(key);
        return s == null ? "default " + key : s.origin() + " (" + key + ")";
    }

    public String string(String key) {
        Settings.Setting s = settings.get(key);
        return s == null ? defaults.get(key) : s.value().strip();
    }

    public String required(String key) {
        String v = string(key);
        if (v.isEmpty()) {
            throw new ConfigException("missing required setting '" + key + "' (--" + key + " VALUE or " + key
                    + " = VALUE in the config file)");
        }
        return v;
    }

    public long longValue(String key) {
        try {
            return Long.parseLong(string(key));
        } catch (NumberFormatException e) {
            throw new ConfigException(origin(key) + ": expected an integer, got '" + string(key) + "'");
        }
    }

    public long rangedLong(String key, long min, long max) {
        long v = longValue(key);
        if (v < min || v > max) {
            throw new ConfigException(origin(key) + ": must be in " + min + ".." + max + ", got " + v);
        }
        return v;
    }

    public int positiveInt(String key) {
        return (int) rangedLong(key, 1, Integer.MAX_VALUE);
    }

    public double doubleValue(String key, double min, double max) {
        double v;
        try {
            v = Double.parseDouble(string(key));
        } catch (NumberFormatException e) {
            throw new ConfigException(origin(key) + ": expected a number, got '" + string(key) + "'");
        }
        if (!(v >= min && v <= max)) {
            throw new ConfigException(origin(key) + ": must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    public boolean bool(String key) {
        String v = string(key).toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new ConfigException(origin(key) + ": expected true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    public String oneOf(String key, List<String> allowed) {
        String v = string(key).toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new ConfigException(origin(key) + ": expected one of " + allowed + ", got '" + v + "'");
        }
        return v;
    }
}
