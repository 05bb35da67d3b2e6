package org.refconv.data.config;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.refconv.data.image.ResizeRule;

/**
 * Settings of the {@code prepare} job, validated before any Spark work starts. See conf/prepare.conf for the
 * meaning and defaults of each key.
 */
public record PrepareConfig(
        String input,
        String output,
        String layout,
        List<String> splits,
        long shardSizeMb,
        int rowGroupRows,
        long rowGroupMb,
        long seed,
        ResizeRule resize,
        int jpegQuality,
        boolean overwrite,
        String master)
        implements Serializable {

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("input", "");
        d.put("output", "");
        d.put("layout", "auto");
        d.put("splits", "train,val");
        d.put("shardSizeMb", "256");
        d.put("rowGroupRows", "256");
        d.put("rowGroupMb", "64");
        d.put("seed", "42");
        d.put("resize", "none");
        d.put("jpegQuality", "90");
        d.put("overwrite", "false");
        d.put("master", "");
        return d;
    }

    /** Parses {@code --config FILE} and {@code --key value} arguments; throws {@link ConfigException}. */
    public static PrepareConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    public static PrepareConfig from(Settings settings) {
        ConfigValues v = new ConfigValues(settings, DEFAULTS);
        PrepareConfig c = new PrepareConfig(
                v.required("input"),
                v.required("output"),
                v.oneOf("layout", List.of("auto", "kaggle", "devkit", "folder")),
                splits(v, "splits"),
                v.positiveInt("shardSizeMb"),
                v.positiveInt("rowGroupRows"),
                v.positiveInt("rowGroupMb"),
                v.longValue("seed"),
                resize(v, "resize"),
                (int) v.rangedLong("jpegQuality", 1, 100),
                v.bool("overwrite"),
                v.string("master"));
        if (stripSlash(c.input).equals(stripSlash(c.output))
                || stripSlash(c.output).startsWith(stripSlash(c.input) + "/")) {
            throw new ConfigException(v.origin("output") + ": output must not be the input folder or inside it");
        }
        return c;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    public long shardSizeBytes() {
        return shardSizeMb << 20;
    }

    public long rowGroupBytes() {
        return rowGroupMb << 20;
    }

    /** The settings as key/value strings, for the manifest. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input", input);
        m.put("output", output);
        m.put("layout", layout);
        m.put("splits", splits);
        m.put("shardSizeMb", shardSizeMb);
        m.put("rowGroupRows", rowGroupRows);
        m.put("rowGroupMb", rowGroupMb);
        m.put("seed", seed);
        m.put(
                "resize",
                resize.mode() == ResizeRule.Mode.NONE
                        ? "none"
                        : (resize.mode() == ResizeRule.Mode.SHORTER_SIDE ? "shorter:" : "max:") + resize.size());
        m.put("jpegQuality", jpegQuality);
        return m;
    }

    private static List<String> splits(ConfigValues v, String key) {
        Set<String> items = new LinkedHashSet<>();
        for (String item : v.string(key).split(",")) {
            if (!item.isBlank() && !items.add(item.strip())) {
                throw new ConfigException(v.origin(key) + ": '" + item.strip() + "' listed twice");
            }
        }
        if (items.isEmpty()) {
            throw new ConfigException(v.origin(key) + ": at least one split is needed");
        }
        return List.copyOf(items);
    }

    private static ResizeRule resize(ConfigValues v, String key) {
        String value = v.string(key).toLowerCase(Locale.ROOT);
        if (value.equals("none")) {
            return ResizeRule.NONE;
        }
        String[] parts = value.split(":");
        ResizeRule.Mode mode = parts.length != 2
                ? null
                : switch (parts[0]) {
                    case "shorter" -> ResizeRule.Mode.SHORTER_SIDE;
                    case "max" -> ResizeRule.Mode.MAX_SIDE;
                    default -> null;
                };
        try {
            if (mode != null) {
                return new ResizeRule(mode, Integer.parseInt(parts[1]));
            }
        } catch (IllegalArgumentException e) {
            // falls through to the message below
        }
        throw new ConfigException(v.origin(key) + ": expected none, shorter:N or max:N, got '" + value + "'");
    }
}
