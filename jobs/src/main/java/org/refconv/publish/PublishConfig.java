package org.refconv.publish;

import java.util.List;
import java.util.regex.Pattern;

import org.refconv.config.ConfigException;
import org.refconv.config.JobConfig;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.OPERATIONAL;

/**
 * Settings of the {@code publish} job, each one {@link Key} of {@link #KEYS}: which finished train run, where the model
 * registry is, the version name, and the verification and promotion rules. See conf/publish.conf for each key's
 * meaning. Publishing trains nothing, so every key is operational.
 */
public final class PublishConfig extends JobConfig {

    private static final long serialVersionUID = 2L;

    /** What a version name may look like: it becomes a folder name and the content of LATEST. */
    static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    public static final List<String> PROMOTE_POLICIES = List.of("gate", "always", "never");

    private static final KeyTable.Builder TABLE = KeyTable.builder("publish");

    public static final Key<String> RUN =
            TABLE.add(of("run", "", OPERATIONAL, "the train run to publish", (v, k) -> stripSlash(v.required(k))));
    public static final Key<String> ROOT =
            TABLE.add(of("root", "", OPERATIONAL, "the model registry", (v, k) -> stripSlash(v.required(k))));
    public static final Key<String> VERSION_NAME =
            TABLE.add(of("version", "", OPERATIONAL, "version name (empty: UTC time)", PublishConfig::version));
    public static final Key<String> DATA = TABLE.add(
            of("data", "", OPERATIONAL, "dataset to evaluate (empty: the run's)", (v, k) -> stripSlash(v.string(k))));
    public static final Key<String> PROMOTE =
            TABLE.add(oneOf("promote", "gate", PROMOTE_POLICIES, OPERATIONAL, "when LATEST moves"));
    public static final Key<Double> GATE_TOLERANCE =
            TABLE.add(doubleIn("gateTolerance", 0.005, 0, 1, OPERATIONAL, "top-1 the gate forgives"));
    public static final Key<Integer> SAMPLE_IMAGES =
            TABLE.add(positiveInt("sampleImages", 64, OPERATIONAL, "images of the fold check"));
    public static final Key<Double> MAX_RELATIVE_DIFFERENCE =
            TABLE.add(doubleIn("maxRelativeDifference", 1e-4, 0, 1, OPERATIONAL, "fold check limit"));
    public static final Key<Integer> EVAL_BATCH =
            TABLE.add(positiveInt("evalBatch", 100, OPERATIONAL, "eval batch cap"));
    public static final Key<Integer> THREADS =
            TABLE.add(positiveInt("threads", 2, OPERATIONAL, "threads of the driver"));

    public static final KeyTable KEYS = TABLE.build();

    public static PublishConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    /** Parses and checks everything that needs no file system; an empty version becomes the UTC time stamp. */
    public static PublishConfig from(Settings settings) {
        return new PublishConfig(KEYS.parse(settings));
    }

    private static String version(org.refconv.config.ConfigValues v, String key) {
        String version = v.string(key).isEmpty() ? RunIds.now() : v.string(key);
        if (!VERSION.matcher(version).matches() || version.equals(ModelRegistry.LATEST)) {
            throw new ConfigException(v.origin(key) + ": '" + version + "' is not a valid version name"
                    + " (letters, digits, '.', '_', '-', starting with a letter or digit; not " + ModelRegistry.LATEST
                    + ")");
        }
        return version;
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private PublishConfig(Values values) {
        super(values);
    }
}
