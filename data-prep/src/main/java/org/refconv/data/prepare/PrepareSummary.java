package org.refconv.data.prepare;

import java.util.Map;

/** What a prepare run did, for the job's exit summary. */
public record PrepareSummary(
        String output,
        String layout,
        Map<String, Long> rowsPerSplit,
        Map<String, Integer> shardsPerSplit,
        long quarantined,
        long reencoded,
        double seconds) {

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("prepare: committed ")
                .append(output)
                .append(" (layout ")
                .append(layout)
                .append(")\n");
        rowsPerSplit.forEach((split, rows) ->
                b.append(String.format("  %-6s %,d rows in %d shards%n", split, rows, shardsPerSplit.get(split))));
        b.append(String.format(
                "  re-encoded %,d, quarantined %,d (see %s), %.1f s%n",
                reencoded, quarantined, DatasetOutput.QUARANTINE, seconds));
        return b.toString();
    }
}
