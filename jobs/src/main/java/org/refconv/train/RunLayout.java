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
 * &lt;run&gt;/_attempt, _stop                    the current attempt's id (fences older ones), a request to stop it
 * &lt;run&gt;/metrics.jsonl, steps.csv, curves.png  per-epoch and per-step metrics, and their plot
 * &lt;run&gt;/checkpoints/step-NNNNNNNNN.safetensors  snapshots (model, optimizer state, metadata)
 * &lt;run&gt;/model.safetensors                  the final model, written when the run completes
 * </pre>
 */
public record RunLayout(String root) implements Serializable {

    private static final Pattern CHECKPOINT = Pattern.compile("step-(\\d{9})\\.safetensors");

    public RunLayout {
        root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    }

    public static RunLayout of(String root) {
        return new RunLayout(root);
    }

    public String runConfig() {
        return file("run-config.json");
    }

    public String progress() {
        return file("_progress.json");
    }

    public String attempt() {
        return file("_attempt");
    }

    public String stopRequest() {
        return file("_stop");
    }

    public String metrics() {
        return file("metrics.jsonl");
    }

    public String stepLosses() {
        return file("steps.csv");
    }

    public String curves() {
        return file("curves.png");
    }

    public String model() {
        return file("model.safetensors");
    }

    public String checkpoints() {
        return file("checkpoints");
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
