package org.refconv.retrain;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.refconv.publish.ModelRegistry;
import org.refconv.publish.PublishResult;

/**
 * The end of a pipeline run: what each stage did, baseline vs RefConv top-1 (both measured by publish on the whole
 * validation split with the same preprocessing), and the published version.
 */
public record PipelineSummary(String runId, Map<String, String> stages, PublishResult published, double seconds) {

    @Override
    public String toString() {
        StringBuilder b =
                new StringBuilder(String.format(Locale.ROOT, "%n== pipeline run %s: %.0f s%n", runId, seconds));
        stages.forEach((k, v) -> b.append(String.format("  %-9s %s%n", k, v)));
        if (published != null) {
            b.append(String.format(
                    Locale.ROOT,
                    "  baseline top-1 %s, RefConv top-1 %.2f%% (top-5 %.2f%%) on %,d" + " validation images%n",
                    Double.isNaN(published.baselineTop1())
                            ? "n/a"
                            : String.format(Locale.ROOT, "%.2f%%", 100 * published.baselineTop1()),
                    100 * published.top1(),
                    100 * published.top5(),
                    published.images()));
            b.append(String.format(
                    "  published %s: %s%n  %s: %s%n",
                    published.version(),
                    published.versionUri() + "/" + ModelRegistry.MODEL,
                    published.promoted() ? "LATEST" : "NOT promoted",
                    published.reason()));
        }
        return b.toString();
    }

    static final class Builder {
        private final String runId;
        private final Map<String, String> stages = new LinkedHashMap<>();
        private PublishResult published;
        private double seconds;

        Builder(String runId) {
            this.runId = runId;
        }

        Builder stage(String name, String outcome) {
            stages.put(name, outcome);
            return this;
        }

        Builder published(PublishResult r) {
            published = r;
            return this;
        }

        Builder seconds(double s) {
            seconds = s;
            return this;
        }

        PipelineSummary build() {
            return new PipelineSummary(
                    runId, Collections.unmodifiableMap(new LinkedHashMap<>(stages)), published, seconds);
        }
    }
}
