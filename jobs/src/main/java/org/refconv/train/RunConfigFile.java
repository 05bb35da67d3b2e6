package org.refconv.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.config.ConfigException;
import org.refconv.config.Settings;
import org.refconv.io.HadoopFiles;

/**
 * {@code <run>/run-config.json}: the train job's settings as a flat JSON object (one field per key of {@link TrainConfig#KEYS}), written on the driver when a run starts. It is what rebuilds the run's model later (publish), and it
 * is read back through {@link TrainConfig#from} so the same validation applies.
 */
public final class RunConfigFile {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunConfigFile() {}

    public static String uri(String runOutput) {
        return RunLayout.of(runOutput).runConfig();
    }

    /** Every key of the config ({@link TrainConfig#KEYS}) with its value, in declaration order. */
    public static ObjectNode toJson(TrainConfig config) {
        ObjectNode node = JSON.createObjectNode();
        config.asStrings().forEach(node::put);
        return node;
    }

    /** Writes (atomically) {@code <config.output()>/run-config.json}. */
    public static void write(TrainConfig config, Configuration conf) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(toJson(config));
        HadoopFiles.writeAtomically(uri(config.output()), conf, out -> out.write(bytes));
    }

    /**
     * The config of the run at {@code runOutput}.
     *
     * @throws ConfigException naming the file when it is missing or holds a bad value
     */
    public static TrainConfig read(String runOutput, Configuration conf) throws IOException {
        String uri = uri(runOutput);
        Path p = new Path(uri);
        if (!p.getFileSystem(conf).exists(p)) {
            throw new ConfigException(uri + " does not exist: is " + runOutput + " the output of a train run? (the"
                    + " run's settings are needed to rebuild its model)");
        }
        JsonNode root;
        try (InputStream in = HadoopFiles.open(uri, conf)) {
            root = JSON.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(uri + ": expected a JSON object");
        }
        Settings settings = new Settings();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            settings.put(e.getKey(), e.getValue().asText(), uri + " (" + e.getKey() + ")");
        }
        return TrainConfig.from(settings);
    }

    /**
     * Refuses to resume or reuse the run at {@code config.output()} when its run-config.json was written with other
     * trajectory settings: a rerun with changed settings must not continue, or report, a run made with the old ones.
     *
     * @param instead what the user should do, e.g. "use a new runId, or the same settings"
     * @throws ConfigException naming the file and every changed key
     */
    public static void requireSameTrajectory(TrainConfig config, Configuration conf, String instead)
            throws IOException {
        Path p = new Path(uri(config.output()));
        if (!p.getFileSystem(conf).exists(p)) {
            return;
        }
        List<String> changes = config.trajectoryChangesFrom(read(config.output(), conf));
        if (!changes.isEmpty()) {
            throw new ConfigException(uri(config.output()) + " was written by a run with other settings ("
                    + String.join(", ", changes) + "): " + instead);
        }
    }
}
