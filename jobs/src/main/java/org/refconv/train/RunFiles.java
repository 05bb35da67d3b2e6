package org.refconv.train;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.io.HadoopFiles;

/**
 * Rank 0's and the driver's access to a run folder's small files ({@link RunLayout}): progress, metrics text, the
 * final model.
 */
final class RunFiles {

    private static final long PROGRESS_INTERVAL_NANOS = 2_000_000_000L;

    private final RunLayout layout;
    private final Configuration conf;
    private long lastProgress;

    RunFiles(String output, Configuration conf) {
        this.layout = RunLayout.of(output);
        this.conf = conf;
    }

    RunLayout layout() {
        return layout;
    }

    /**
     * At most every 2 s: progress is for people, and each write is a file-system round trip. {@code executors}:
     * "k/ranks", the attempt's executors of the run's logical ranks.
     */
    void writeProgress(
            long epoch,
            long epochs,
            long step,
            long steps,
            double loss,
            double imagesPerSec,
            double lr,
            String executors)
            throws IOException {
        long now = System.nanoTime();
        if (now - lastProgress < PROGRESS_INTERVAL_NANOS && step != steps) {
            return;
        }
        lastProgress = now;
        String json = String.format(
                Locale.ROOT,
                "{\"epoch\":%d,\"epochs\":%d,\"step\":%d,\"steps\":%d,\"loss\":%.5f,\"imagesPerSec\":%.1f,\"lr\":%.6g,"
                        + "\"executors\":\"%s\"}",
                epoch,
                epochs,
                step,
                steps,
                loss,
                imagesPerSec,
                lr,
                executors);
        HadoopFiles.writeText(layout.progress(), json, conf);
    }

    String readProgress() {
        try {
            return HadoopFiles.readText(layout.progress(), conf).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    String readMetrics() throws IOException {
        return HadoopFiles.readText(layout.metrics(), conf).orElse("");
    }

    String readStepLosses() throws IOException {
        return HadoopFiles.readText(layout.stepLosses(), conf).orElse("");
    }

    void writeStepLosses(String csv) throws IOException {
        HadoopFiles.writeText(layout.stepLosses(), csv, conf);
    }

    /** The driver, between attempts: a line (a resize) added to the metrics file, which rank 0 then keeps. */
    void appendMetricsLine(String json) throws IOException {
        String text = readMetrics();
        HadoopFiles.writeText(
                layout.metrics(), text + (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + json + "\n", conf);
    }

    void writeMetrics(String text, byte[] curvesPng) throws IOException {
        HadoopFiles.writeText(layout.metrics(), text, conf);
        HadoopFiles.writeBytes(layout.curves(), curvesPng, conf);
    }

    String writeModel(StateDict model, Map<String, String> metadata) throws IOException {
        model.metadata().putAll(metadata);
        SafeTensors.write(model, layout.model(), conf);
        return layout.model();
    }
}
