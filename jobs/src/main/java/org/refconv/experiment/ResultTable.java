package org.refconv.experiment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Validation top-1 of every run, and the table the experiment prints: per model, the basis, then one row per
 * method with mean ± sample standard deviation over seeds and the difference to the basis.
 */
public final class ResultTable {

    /** One finished training run. */
    public record Run(String model, String method, long seed, double top1, double top5, double seconds) {}

    private final List<Run> runs = new ArrayList<>();

    public void add(Run r) {
        runs.add(r);
    }

    public List<Run> runs() {
        return List.copyOf(runs);
    }

    /** Mean and sample standard deviation (n - 1; 0 for a single value). */
    public record Summary(double mean, double std, int n) {
        static Summary of(List<Double> values) {
            double mean =
                    values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double ss =
                    values.stream().mapToDouble(x -> (x - mean) * (x - mean)).sum();
            return new Summary(mean, values.size() > 1 ? Math.sqrt(ss / (values.size() - 1)) : 0, values.size());
        }
    }

    /** Top-1 per (model, method), in the order the runs were added. */
    public Map<String, Map<String, Summary>> summaries() {
        Map<String, Map<String, List<Double>>> grouped = new LinkedHashMap<>();
        for (Run r : runs) {
            grouped.computeIfAbsent(r.model(), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.method(), k -> new ArrayList<>())
                    .add(r.top1());
        }
        Map<String, Map<String, Summary>> out = new LinkedHashMap<>();
        grouped.forEach((model, byMethod) -> {
            Map<String, Summary> s = new LinkedHashMap<>();
            byMethod.forEach((method, values) -> s.put(method, Summary.of(values)));
            out.put(model, s);
        });
        return out;
    }

    /** A Markdown table (readable as plain text too), top-1 in percent. */
    public String markdown(String basisMethod) {
        return markdown(basisMethod, "vs basis");
    }

    /** As above, the last column the difference to {@code basisMethod}'s mean, headed {@code column}. */
    public String markdown(String basisMethod, String column) {
        StringBuilder b = new StringBuilder();
        b.append("| model | method | runs | top-1 % (mean ± std) | " + column + " |\n");
        b.append("|---|---|---:|---:|---:|\n");
        summaries().forEach((model, byMethod) -> {
            Summary basis = byMethod.get(basisMethod);
            byMethod.forEach((method, s) -> b.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %d | %.2f ± %.2f | %s |%n",
                    model,
                    method,
                    s.n(),
                    100 * s.mean(),
                    100 * s.std(),
                    basis == null || method.equals(basisMethod)
                            ? ""
                            : String.format(Locale.ROOT, "%+.2f", 100 * (s.mean() - basis.mean())))));
        });
        return b.toString();
    }

    /** Every run as CSV. */
    public String csv() {
        StringBuilder b = new StringBuilder("model,method,seed,top1,top5,seconds\n");
        for (Run r : runs) {
            b.append(String.format(
                    Locale.ROOT,
                    "%s,%s,%d,%.6f,%.6f,%.1f%n",
                    r.model(),
                    r.method(),
                    r.seed(),
                    r.top1(),
                    r.top5(),
                    r.seconds()));
        }
        return b.toString();
    }
}
