package org.refconv.publish;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a publish did: the version and where it is, whether it became LATEST and why, and the measured accuracies
 * (baseline = the basis checkpoint of the run on the same images; NaN for a run without one).
 */
public record PublishResult(
        String version,
        String versionUri,
        boolean promoted,
        String reason,
        long images,
        double top1,
        double top5,
        double baselineTop1,
        double baselineTop5,
        double maxRelativeDifference,
        boolean alreadyPublished) {

    /** The result recorded in a published card. */
    static PublishResult fromCard(String versionUri, JsonNode card, boolean promoted, String reason) {
        JsonNode m = card.path("metrics");
        return new PublishResult(
                card.path("version").asText(),
                versionUri,
                promoted,
                reason,
                m.path("images").asLong(),
                num(m, "top1"),
                num(m, "top5"),
                num(m, "baselineTop1"),
                num(m, "baselineTop5"),
                num(card.path("verification").path("fold"), "maxRelativeDifference"),
                true);
    }

    private static double num(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? Double.NaN : v.asDouble();
    }

    public String summary() {
        String base = Double.isNaN(baselineTop1)
                ? ""
                : String.format(Locale.ROOT, "baseline top-1 %.2f%% -> ", 100 * baselineTop1);
        return String.format(
                Locale.ROOT,
                "%stop-1 %.2f%%, top-5 %.2f%% on %d validation images; version %s at %s" + " (%s: %s)",
                base,
                100 * top1,
                100 * top5,
                images,
                version,
                versionUri,
                promoted ? "promoted to LATEST" : "NOT promoted",
                reason);
    }
}
