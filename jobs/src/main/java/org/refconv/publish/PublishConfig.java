package org.refconv.publish;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.refconv.data.config.ConfigException;
import org.refconv.data.config.ConfigValues;
import org.refconv.data.config.Settings;

/**
 * Settings of the {@code publish} job: which finished train run, where the model registry is, the version name, and
 * the verification and promotion rules. See conf/publish.conf for each key's meaning.
 */
public record PublishConfig(
        String run,
        String root,
        String version,
        String data,
        String promote,
        double gateTolerance,
        int sampleImages,
        double maxRelativeDifference,
        int evalBatch,
        int threads)
        implements Serializable {

    /** What a version name may look like: it becomes a folder name and the content of LATEST. */
    static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    public static final List<String> PROMOTE = List.of("gate", "always", "never");

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("run", "");
        d.put("root", "");
        d.put("version", "");
        d.put("data", "");
        d.put("promote", "gate");
        d.put("gateTolerance", "0.005");
        d.put("sampleImages", "64");
        d.put("maxRelativeDifference", "1e-4");
        d.put("evalBatch", "100");
        d.put("threads", "2");
        return d;
    }

    public static PublishConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    /** Parses and checks everything that needs no file system; an empty version becomes the UTC time stamp. */
    public static PublishConfig from(Settings settings) {
        ConfigValues v = new ConfigValues(settings, DEFAULTS);
        String version = v.string("version").isEmpty() ? RunIds.now() : v.string("version");
        if (!VERSION.matcher(version).matches() || version.equals(ModelRegistry.LATEST)) {
            throw new ConfigException(v.origin("version") + ": '" + version + "' is not a valid version name"
                    + " (letters, digits, '.', '_', '-', starting with a letter or digit; not " + ModelRegistry.LATEST
                    + ")");
        }
        return new PublishConfig(
                stripSlash(v.required("run")),
                stripSlash(v.required("root")),
                version,
                stripSlash(v.string("data")),
                v.oneOf("promote", PROMOTE),
                v.doubleValue("gateTolerance", 0, 1),
                v.positiveInt("sampleImages"),
                v.doubleValue("maxRelativeDifference", 0, 1),
                v.positiveInt("evalBatch"),
                v.positiveInt("threads"));
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
