package org.refconv.publish;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.apache.hadoop.conf.Configuration;
import org.refconv.io.HadoopFiles;
import org.refconv.train.TrainConfig;

/**
 * {@code model-card.json}: what was published and how far to trust it (architecture, classes, preprocessing,
 * verification and metrics, training config, source files with SHA-256, code version, date, promotion decision).
 */
public final class ModelCard {

    public static final String FORMAT = "refconv-model-card";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, Object> root = new LinkedHashMap<>();
    private final List<Map<String, Object>> sources = new ArrayList<>();

    public ModelCard(String version, TrainConfig train, long parameters, int tensors, int foldedLayers) {
        root.put("format", FORMAT);
        root.put("formatVersion", 1);
        root.put("version", version);
        root.put("createdAt", Instant.now().toString());
        root.put("code", CodeVersion.describe());
        Map<String, Object> arch = new LinkedHashMap<>();
        arch.put("name", train.model());
        arch.put("numClasses", train.numClasses());
        arch.put("inChannels", train.inChannels());
        arch.put("imageSize", train.imageSize());
        arch.put("parameters", parameters);
        arch.put("tensors", tensors);
        arch.put("keys", "torchvision state_dict names (load_state_dict unchanged)");
        arch.put(
                "reparameterized",
                foldedLayers == 0
                        ? "no (" + train.mode() + " run: a plain model)"
                        : foldedLayers
                                + (train.refocus()
                                        ? " RefConv layers folded into plain convs (Wt = Wb * Wr + Wb)"
                                        : " Rep-Adapter convs merged into plain convs (W = W0*s0 + W1*s1, the BN shifts moved into"
                                                + " the following BatchNorm)")
                                + "; same structure and inference cost as the basis");
        arch.put("file", ModelRegistry.MODEL);
        root.put("architecture", arch);
        root.put("sources", sources);
    }

    public ModelCard classes(JsonNode classes) {
        root.put("classes", classes);
        return this;
    }

    /**
     * The classifier head: which layers are new (trained from their init for this dataset's classes, not taken from
     * the basis checkpoint), and why.
     */
    public ModelCard head(String layer, boolean isNew, String reason) {
        @SuppressWarnings("unchecked")
        Map<String, Object> arch = (Map<String, Object>) root.get("architecture");
        arch.put("newLayers", isNew ? List.of(layer) : List.of());
        arch.put("head", layer + ": " + (isNew ? "new, initialised as torchvision does (" + reason + ")" : reason));
        return this;
    }

    public ModelCard preprocessing(Map<String, Object> p) {
        root.put("preprocessing", p);
        return this;
    }

    public ModelCard verification(Map<String, Object> v) {
        root.put("verification", v);
        return this;
    }

    public ModelCard metrics(Map<String, Object> m) {
        root.put("metrics", m);
        return this;
    }

    public ModelCard training(JsonNode config, List<JsonNode> epochMetrics) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("config", config);
        t.put("epochs", epochMetrics);
        root.put("training", t);
        return this;
    }

    public ModelCard source(String role, String uri, String sha256) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("role", role);
        s.put("uri", uri);
        s.put("sha256", sha256);
        sources.add(s);
        return this;
    }

    /** The published file's SHA-256: what a run using it as {@code checkpointIn} checks it against ({@link CardDigest}). */
    public ModelCard model(String sha256) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", ModelRegistry.MODEL);
        m.put("sha256", sha256);
        root.put("model", m);
        return this;
    }

    public ModelCard promotion(Map<String, Object> p) {
        root.put("promotion", p);
        return this;
    }

    public void write(String uri, Configuration conf) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(root);
        HadoopFiles.writeAtomically(uri, conf, out -> out.write(bytes));
    }
}
