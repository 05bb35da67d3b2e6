package org.refconv.retrain;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.refconv.config.ConfigException;
import org.refconv.config.ConfigValues;
import org.refconv.config.Key;
import org.refconv.config.KeyTable;
import org.refconv.config.Settings;
import org.refconv.config.Values;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.publish.PublishConfig;
import org.refconv.publish.RunIds;
import org.refconv.train.RunLayout;
import org.refconv.train.TrainConfig;

import static org.refconv.config.Key.*;
import static org.refconv.config.Key.Kind.OPERATIONAL;
import static org.refconv.config.Key.Kind.TRAJECTORY;

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
        String master,
        PrepareConfig prepare,
        TrainConfig pretrain,
        TrainConfig refocus,
        PublishConfig publish) {

    public static final List<String> STAGE_PREFIXES = List.of("prepare", "train", "pretrain", "refocus", "publish");
    private static final Set<String> PIPELINE_OWNED =
            Set.of("input", "output", "overwrite", "master", "mode", "data", "checkpointIn", "run", "root", "version");

    private static final KeyTable.Builder TABLE = KeyTable.builder("pipeline");

    public static final Key<String> RUN_ID =
            TABLE.add(string("runId", "", OPERATIONAL, "names the run folder and the version (empty: UTC time)"));
    public static final Key<String> WORK =
            TABLE.add(of("work", "", OPERATIONAL, "where run folders go", PipelineConfig::path));
    public static final Key<String> INPUT =
            TABLE.add(of("input", "", TRAJECTORY, "an image tree to prepare", (v, k) -> strip(v.string(k))));
    public static final Key<String> DATA =
            TABLE.add(of("data", "", TRAJECTORY, "or a prepared dataset", (v, k) -> strip(v.string(k))));
    public static final Key<String> BASIS =
            TABLE.add(string("basis", "", TRAJECTORY, "a pretrained checkpoint (empty: pretrain one)"));
    public static final Key<String> PUBLISH_ROOT =
            TABLE.add(of("publishRoot", "", OPERATIONAL, "the model registry", PipelineConfig::path));
    public static final Key<String> MASTER =
            TABLE.add(string("master", "", OPERATIONAL, "Spark master outside spark-submit"));

    public static final KeyTable KEYS = TABLE.build();

    private static String path(ConfigValues v, String key) {
        return strip(v.required(key));
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

        Values v = KEYS.parse(own);
        String runId = v.get(RUN_ID).isEmpty() ? RunIds.now() : v.get(RUN_ID);
        String work = v.get(WORK);
        String input = v.get(INPUT);
        String data = v.get(DATA);
        String basis = v.get(BASIS);
        String master = v.get(MASTER);
        if (input.isEmpty() == data.isEmpty()) {
            throw new ConfigException("set exactly one of 'input' (an image tree to prepare) and 'data' (a prepared"
                    + " dataset): got " + (input.isEmpty() ? "neither" : "both"));
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
        String basisUri = basis.isEmpty() ? RunLayout.of(run + "/pretrain").model() : basis;
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
                stages.get("publish"), Map.of("run", run + "/refocus", "root", v.get(PUBLISH_ROOT), "version", runId)));
        return new PipelineConfig(
                runId,
                work,
                input,
                dataset,
                basis,
                publish.get(PublishConfig.ROOT),
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
