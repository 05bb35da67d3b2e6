package org.refconv.train;

import java.io.Serializable;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names inside a training run's folder, in one place for train, publish, the retraining pipeline and the
 * experiment:
 *
 * <pre>
 * &lt;run&gt;/run-config.json                    the settings (what rebuilds the model)
 * &lt;run&gt;/_progress.json                     rank 0's progress, polled by the driver's progress bar
 * &lt;run&gt;/metrics.jsonl, steps.csv, curves.png  per-epoch and per-step metrics, and their plot
 * &lt;run&gt;/checkpoints/step-NNNNNNNNN.safetensors  snapshots (model, optimizer state, metadata)
 * &lt;run&gt;/model.safetensors                  the final model, written when the run completes
 * </pre>
 */
public record RunLayout(String root) implements Serializable {

    public static final String RUN_CONFIG = "run-config.json";
    public static final String PROGRESS = "_progress.json";
    public static final String METRICS = "metrics.jsonl";
    public static final String STEP_LOSSES = "steps.csv";
    public static final String CURVES = "curves.png";
    public static final String MODEL = "model.safetensors";
    public static final String CHECKPOINTS = "checkpoints";
    private static final Pattern CHECKPOINT = Pattern.compile("step-(\\d{9})\\.safetensors");

    public RunLayout {
        root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    public static RunLayout of(String root) {
        return new RunLayout(root);
    }

    public String runConfig() {
        return file(RUN_CONFIG);
    }

    public String progress() {
        return file(PROGRESS);
    }

    public String metrics() {
        return file(METRICS);
    }

    public String stepLosses() {
        return file(STEP_LOSSES);
    }

    public String curves() {
        return file(CURVES);
    }

    public String model() {
        return file(MODEL);
    }

    public String checkpoints() {
        return file(CHECKPOINTS);
    }

    public String checkpoint(long step) {
        return checkpoints() + "/" + String.format("step-%09d.safetensors", step);
    }

    /** The step of a checkpoint file name, empty for any other name (temporary files of interrupted writes). */
    public static OptionalLong checkpointStep(String fileName) {
        Matcher m = CHECKPOINT.matcher(fileName);
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    private String file(String name) {
        return root + "/" + name;
    }
}
