package org.refconv.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a training step's time goes inside oneDNN, from its verbose log ({@code ONEDNN_VERBOSE=1}: one line per
 * primitive execution, its wall time in ms last). libtorch (Java's, and PyTorch's) runs convolutions and layout
 * reorders through oneDNN; what is not in the log (BatchNorm, pooling, activations, the optimizer, autograd, the
 * allocator) is the rest of the step. Both the 2.x format ({@code onednn_verbose,exec,cpu,...}) and the 3.x one
 * ({@code onednn_verbose,v1,primitive,exec,cpu,...}) are read.
 */
final class OneDnnProfile {

    static final String CONV_FORWARD = "conv forward";
    static final String CONV_BACKWARD_DATA = "conv backward data";
    static final String CONV_BACKWARD_WEIGHTS = "conv backward weights";
    /** Only the part oneDNN runs: libtorch may run small dense transforms (depthwise convs' Wr) elsewhere. */
    static final String TRANSFORM = "refocusing transform in oneDNN (batch-1 convs)";

    static final String REORDER = "reorders (layout conversions)";
    static final String OTHER = "other oneDNN primitives";
    static final List<String> CATEGORIES =
            List.of(CONV_FORWARD, CONV_BACKWARD_DATA, CONV_BACKWARD_WEIGHTS, TRANSFORM, REORDER, OTHER);

    /** RefConv's transform is the only conv with batch 1 here: Wb viewed as one image (groups may precede mb). */
    private static final Pattern BATCH_ONE = Pattern.compile("(^|g\\d+)mb1_");

    private OneDnnProfile() {}

    /**
     * Milliseconds per category in the last of {@code steps} identical steps: every step executes the same primitives
     * in the same order, so the log's execution lines split evenly and the last share is the last step.
     */
    static Map<String, Double> lastStep(List<String> log, int steps) {
        List<Exec> execs =
                log.stream().map(Exec::parse).filter(Objects::nonNull).toList();
        if (execs.isEmpty() || execs.size() % steps != 0) {
            throw new IllegalArgumentException("oneDNN log: " + execs.size() + " primitive executions do not split "
                    + "into " + steps + " equal steps (was ONEDNN_VERBOSE=1 set, and did every step run the same "
                    + "primitives?)");
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        CATEGORIES.forEach(c -> ms.put(c, 0.0));
        for (Exec e : execs.subList(execs.size() - execs.size() / steps, execs.size())) {
            ms.merge(e.category(), e.ms(), Double::sum);
        }
        return ms;
    }

    /** One primitive execution: its kind, propagation kind, problem description and time. */
    private record Exec(String kind, String prop, String problem, double ms) {

        /** The execution on a log line, or null for any other line (info, create, graph API, the program's own). */
        static Exec parse(String line) {
            String[] f = line.trim().split(",");
            int i = List.of(f).indexOf("exec");
            boolean primitive = f[0].equals("onednn_verbose")
                    && i > 0
                    && f.length > i + 4
                    && (f[i - 1].equals("onednn_verbose") || f[i - 1].equals("primitive"));
            return primitive
                    ? new Exec(f[i + 2], f[i + 4], f[f.length - 2], Double.parseDouble(f[f.length - 1]))
                    : null;
        }

        String category() {
            if (kind.equals("reorder")) {
                return REORDER;
            }
            if (!kind.equals("convolution")) {
                return OTHER;
            }
            if (BATCH_ONE.matcher(problem).find()) {
                return TRANSFORM;
            }
            return switch (prop) {
                case "backward_data" -> CONV_BACKWARD_DATA;
                case "backward_weights" -> CONV_BACKWARD_WEIGHTS;
                default -> CONV_FORWARD;
            };
        }
    }
}
