package org.refconv.pipeline;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.refconv.data.config.ConfigException;
import org.refconv.data.config.ConfigValues;
import org.refconv.data.config.PrepareConfig;
import org.refconv.data.config.Settings;
import org.refconv.publish.PublishConfig;
import org.refconv.publish.RunIds;
import org.refconv.train.TrainConfig;

/**
 * Settings of the {@code pipeline} job (see conf/pipeline.conf): its own keys (run id, locations, master) plus the
 * settings of each stage under a prefix: {@code prepare.*} (PrepareConfig), {@code train.*} (TrainConfig, both
 * training stages), {@code pretrain.*} / {@code refocus.*} (TrainConfig, one stage, over {@code train.*}) and
 * {@code publish.*} (PublishConfig). Every stage's config is built and validated here, before anything runs; the
 * keys that wire the stages together (inputs, outputs, mode, master) are the pipeline's and refused in a stage.
 */
public record PipelineConfig(
        String runId,
        String work,
        String input,
        String data,
        String basis,
        String publishRoot,
        String fashionMnist,
        int fashionMnistPerClass,
        int fashionMnistSize,
        String master,
        PrepareConfig prepare,
        TrainConfig pretrain,
        TrainConfig refocus,
        PublishConfig publish) {

    public static final List<String> STAGE_PREFIXES = List.of("prepare", "train", "pretrain", "refocus", "publish");
    private static final Set<String> PIPELINE_OWNED =
            Set.of("input", "output", "overwrite", "master", "mode", "data", "checkpointIn", "run", "root", "version");

    private static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("runId", "");
        d.put("work", "");
        d.put("input", "");
        d.put("data", "");
        d.put("basis", "");
        d.put("publishRoot", "");
        d.put("fashionMnist", "");
        d.put("fashionMnistPerClass", "0");
        d.put("fashionMnistSize", "32");
        d.put("master", "");
        return d;
    }

    public static PipelineConfig fromArgs(String[] args) {
        return from(Settings.fromArgs(args));
    }

    public static PipelineConfig from(Settings all) {
        Settings own = new Settings();
        Map<String, Settings> stages = new LinkedHashMap<>();
        STAGE_PREFIXES.forEach(p -> stages.put(p, new Settings()));
        for (Map.Entry<String, Settings.Setting> e : all.asMap().entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            if (dot < 0) {
                own.put(key, e.getValue().value(), e.getValue().origin());
                continue;
            }
            String prefix = key.substring(0, dot);
            String stageKey = key.substring(dot + 1);
            if (!stages.containsKey(prefix)) {
                throw new ConfigException(e.getValue().origin() + ": unknown stage '" + prefix + "' in '" + key
                        + "' (stages: " + String.join(", ", STAGE_PREFIXES) + ")");
            }
            if (PIPELINE_OWNED.contains(stageKey)) {
                throw new ConfigException(e.getValue().origin() + ": '" + key + "' is set by the pipeline (it wires"
                        + " the stages together); set the pipeline's own keys instead (work, input, data, basis,"
                        + " publishRoot, master)");
            }
            stages.get(prefix).put(stageKey, e.getValue().value(), e.getValue().origin());
        }

        ConfigValues v = new ConfigValues(own, DEFAULTS);
        String runId = v.string("runId").isEmpty() ? RunIds.now() : v.string("runId");
        String work = strip(v.required("work"));
        String input = strip(v.string("input"));
        String data = strip(v.string("data"));
        String basis = v.string("basis");
        String master = v.string("master");
        String fashionMnist = v.string("fashionMnist");
        if (input.isEmpty() == data.isEmpty()) {
            throw new ConfigException("set exactly one of 'input' (an image tree to prepare) and 'data' (a prepared"
                    + " dataset): got " + (input.isEmpty() ? "neither" : "both"));
        }
        if (!fashionMnist.isEmpty() && (input.isEmpty() || input.contains("://") && !input.startsWith("file:"))) {
            throw new ConfigException(v.origin("fashionMnist") + ": the Fashion-MNIST demo tree is written to 'input',"
                    + " which must then be a local path");
        }
        String run = work + "/" + runId;
        String dataset = data.isEmpty() ? run + "/data" : data;

        PrepareConfig prepare = data.isEmpty()
                ? PrepareConfig.from(with(
                        stages.get("prepare"),
                        Map.of("input", input, "output", dataset, "overwrite", "true", "master", master)))
                : null;
        TrainConfig pretrain = basis.isEmpty()
                ? TrainConfig.from(with(
                        merge(stages.get("train"), stages.get("pretrain")),
                        Map.of(
                                "mode",
                                "pretrain",
                                "data",
                                dataset,
                                "output",
                                run + "/pretrain",
                                "checkpointIn",
                                "",
                                "master",
                                master)))
                : null;
        String basisUri = basis.isEmpty() ? run + "/pretrain/model.safetensors" : basis;
        TrainConfig refocus = TrainConfig.from(with(
                merge(stages.get("train"), stages.get("refocus")),
                Map.of(
                        "mode",
                        "refocus",
                        "data",
                        dataset,
                        "output",
                        run + "/refocus",
                        "checkpointIn",
                        basisUri,
                        "master",
                        master)));
        PublishConfig publish = PublishConfig.from(with(
                stages.get("publish"),
                Map.of("run", run + "/refocus", "root", strip(v.required("publishRoot")), "version", runId)));
        return new PipelineConfig(
                runId,
                work,
                input,
                dataset,
                basis,
                publish.root(),
                fashionMnist,
                (int) v.rangedLong("fashionMnistPerClass", 0, Integer.MAX_VALUE),
                (int) v.rangedLong("fashionMnistSize", 8, 4096),
                master,
                prepare,
                pretrain,
                refocus,
                publish);
    }

    /** The folder of this run: {@code <work>/<runId>}. */
    public String runDir() {
        return work + "/" + runId;
    }

    private static Settings merge(Settings base, Settings over) {
        return base.overlay(over);
    }

    private static Settings with(Settings stage, Map<String, String> wiring) {
        return stage.with(wiring, "pipeline");
    }

    private static String strip(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
