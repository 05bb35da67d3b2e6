package org.refconv.publish;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a new version becomes {@code LATEST}. {@code gate} (default): its top-1 is not below the current
 * LATEST's by more than the tolerance (absolute, as a fraction: 0.005 = half a point); the first version always
 * passes. {@code always} / {@code never}: as they say.
 */
public final class Gate {

    /** The outcome and a sentence saying why. */
    public record Decision(boolean promote, String reason) {}

    /** The current LATEST: its version and top-1. */
    public record Current(String version, double top1) {}

    private Gate() {}

    public static Decision decide(String policy, double tolerance, double top1, Optional<Current> current) {
        switch (policy) {
            case "always":
                return new Decision(true, "promote = always");
            case "never":
                return new Decision(false, "promote = never");
            case "gate":
                break;
            default:
                throw new IllegalArgumentException("unknown promote policy '" + policy + "'");
        }
        if (current.isEmpty()) {
            return new Decision(true, "first version of this model");
        }
        Current c = current.get();
        if (!Double.isFinite(top1)) {
            return new Decision(false, "top-1 could not be measured");
        }
        double floor = c.top1() - tolerance;
        String compared = String.format(
                Locale.ROOT,
                "top-1 %.2f%% vs LATEST %s %.2f%% (tolerance %.2f points)",
                100 * top1,
                c.version(),
                100 * c.top1(),
                100 * tolerance);
        return top1 >= floor
                ? new Decision(true, compared + ": passes")
                : new Decision(false, compared + ": more than the tolerance below, not promoted");
    }
}
