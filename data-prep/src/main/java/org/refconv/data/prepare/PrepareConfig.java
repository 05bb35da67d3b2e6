package org.refconv.data.prepare;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.refconv.config.ConfigException;
import org.refconv.config.ConfigValues;
import org.refconv.config.JobConfig;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.data.image.ResizeRule;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.OPERATIONAL;
import static org.refconv.config.Key.Kind.TRAJECTORY;

/**
 * Settings of the {@code prepare} job, each one {@link Key} of {@link #KEYS}, validated before any Spark work starts.
 * See conf/prepare.conf for the meaning and defaults of each key.
 */
public final class PrepareConfig extends JobConfig {

    private static final long serialVersionUID = 2L;

    // The kinds: what shapes the dataset (and so every run trained on it), or where it goes and how.
    private static final KeyTable.Builder TABLE = KeyTable.builder("prepare");

    public static final Key<String> INPUT = TABLE.add(required("input", TRAJECTORY, "the image tree"));
    public static final Key<String> OUTPUT = TABLE.add(required("output", OPERATIONAL, "the prepared dataset"));
    public static final Key<String> LAYOUT = TABLE.add(
            oneOf("layout", "auto", List.of("auto", "kaggle", "devkit", "folder"), TRAJECTORY, "the tree's layout"));
    public static final Key<List<String>> SPLITS =
            TABLE.add(of("splits", "train,val", TRAJECTORY, "splits to prepare", PrepareConfig::splits));
    public static final Key<Integer> SHARD_SIZE_MB =
            TABLE.add(positiveInt("shardSizeMb", 256, TRAJECTORY, "shard size"));
    public static final Key<Integer> ROW_GROUP_ROWS =
            TABLE.add(positiveInt("rowGroupRows", 256, TRAJECTORY, "rows per row group"));
    public static final Key<Integer> ROW_GROUP_MB =
            TABLE.add(positiveInt("rowGroupMb", 64, TRAJECTORY, "row group cap"));
    public static final Key<Long> SEED = TABLE.add(longValue("seed", 42L, TRAJECTORY, "seed of the global shuffle"));
    public static final Key<ResizeRule> RESIZE =
            TABLE.add(of("resize", "none", TRAJECTORY, "none, shorter:N or max:N", PrepareConfig::resize));
    public static final Key<Integer> JPEG_QUALITY =
            TABLE.add(intIn("jpegQuality", 90, 1, 100, TRAJECTORY, "quality of re-encoded images"));
    public static final Key<Boolean> OVERWRITE = TABLE.add(bool("overwrite", false, OPERATIONAL, "replace the output"));
    public static final Key<String> MASTER =
            TABLE.add(string("master", "", OPERATIONAL, "Spark master outside spark-submit"));

    public static final KeyTable KEYS = TABLE.build();

    /** Parses {@code --config FILE} and {@code --key value} arguments; throws {@link ConfigException}. */
    public static PrepareConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    public static PrepareConfig from(Settings settings) {
        PrepareConfig c = new PrepareConfig(KEYS.parse(settings));
        String in = stripSlash(c.get(INPUT));
        String out = stripSlash(c.get(OUTPUT));
        if (in.equals(out) || out.startsWith(in + "/")) {
            throw new ConfigException(c.origin(OUTPUT) + ": output must not be the input folder or inside it");
        }
        return c;
    }

    public long shardSizeBytes() {
        return (long) get(SHARD_SIZE_MB) << 20;
    }

    public long rowGroupBytes() {
        return (long) get(ROW_GROUP_MB) << 20;
    }

    /** The settings that shape the dataset, as written into the manifest. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Key<?> k : KEYS.keys()) {
            if (k != OVERWRITE && k != MASTER) {
                m.put(k.name(), k == RESIZE ? asStrings().get(k.name()).toLowerCase(Locale.ROOT) : get(k));
            }
        }
        return m;
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
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

    private PrepareConfig(Values values) {
        super(values);
    }
}
