package org.refconv.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.refconv.checkpoint.CheckpointFiles;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;

/**
 * The files of a training run under its output URI: {@code _progress.json} (rank 0 writes, the driver reads),
 * {@code metrics.jsonl} and {@code curves.png}, {@code checkpoints/}, and at the end {@code model.safetensors}.
 */
final class RunFiles {

    static final String PROGRESS = "_progress.json";
    static final String METRICS = "metrics.jsonl";
    static final String CURVES = "curves.png";
    static final String MODEL = "model.safetensors";
    private static final long PROGRESS_INTERVAL_NANOS = 2_000_000_000L;

    private final String output;
    private final Configuration conf;
    private long lastProgress;

    RunFiles(String output, Configuration conf) {
        this.output = output;
        this.conf = conf;
    }

    String uri(String name) {
        return output + "/" + name;
    }

    /** At most every 2 s: progress is for people, and each write is a file-system round trip. */
    void writeProgress(long epoch, long epochs, long step, long steps, double loss, double imagesPerSec, double lr)
            throws IOException {
        long now = System.nanoTime();
        if (now - lastProgress < PROGRESS_INTERVAL_NANOS && step != steps) {
            return;
        }
        lastProgress = now;
        String json = String.format(
                Locale.ROOT,
                "{\"epoch\":%d,\"epochs\":%d,\"step\":%d,\"steps\":%d,\"loss\":%.5f,\"imagesPerSec\":%.1f,\"lr\":%.6g}",
                epoch,
                epochs,
                step,
                steps,
                loss,
                imagesPerSec,
                lr);
        writeText(PROGRESS, json);
    }

    String readProgress() {
        try (InputStream in = CheckpointFiles.open(uri(PROGRESS), conf)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    String readText(String name) throws IOException {
        Path p = new Path(uri(name));
        if (!p.getFileSystem(conf).exists(p)) {
            return "";
        }
        try (InputStream in = CheckpointFiles.open(uri(name), conf)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    void writeText(String name, String text) throws IOException {
        CheckpointFiles.writeAtomically(uri(name), conf, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    void writeBytes(String name, byte[] bytes) throws IOException {
        CheckpointFiles.writeAtomically(uri(name), conf, out -> out.write(bytes));
    }

    String writeModel(StateDict model, Map<String, String> metadata) throws IOException {
        model.metadata().putAll(metadata);
        SafeTensors.write(model, uri(MODEL), conf);
        return uri(MODEL);
    }
}
