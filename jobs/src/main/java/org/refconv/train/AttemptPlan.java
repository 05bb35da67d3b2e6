package org.refconv.train;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.refconv.config.ConfigException;
import org.refconv.data.input.CorruptInputException;

/**
 * The driver's bookkeeping between attempts: each attempt is recorded as the run folder's current one (fencing older
 * ones), a change of size is logged and added to {@code metrics.jsonl} (when, why, to what size), and a failure is
 * either retried or ends the run: at once when it would recur on any retry (a corrupt row group, a setting the
 * checkpoint contradicts), after {@code maxFailures} attempts in a row that saved no new checkpoint otherwise.
 */
final class AttemptPlan {

    /** Failures that no retry can mend: the run fails at the first with the task's message. */
    static final List<String> NOT_RETRIED =
            List.of(CorruptInputException.class.getName(), ConfigException.class.getName());

    private final Elasticity elastic;
    private final int maxFailures;
    private final TrainCheckpoints checkpoints;
    private int failuresWithoutProgress;
    private long checkpointAtStart;
    private int lastExecutors = -1;
    private String reason = "fewer task slots than ranks when the run started";

    AttemptPlan(TrainConfig config, Elasticity elastic, int maxFailures, Configuration conf) {
        this.elastic = elastic;
        this.maxFailures = maxFailures;
        this.checkpoints = new TrainCheckpoints(config.output(), conf);
    }

    /** Before the attempt's stage is submitted: it becomes the current attempt; a new size is told everywhere. */
    void started(Attempt attempt, int executors, RunFiles files, Configuration conf) throws IOException {
        String id = attempt.id(0);
        AttemptFence.record(files.layout(), conf, id);
        checkpointAtStart = newestCheckpoint();
        if (executors != lastExecutors && (lastExecutors != -1 || executors < elastic.ranks())) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("event", "resize");
            event.put("time", Instant.now().toString());
            event.put("attempt", id);
            event.put("step", checkpointAtStart);
            event.put("executors", executors);
            event.put("ranks", elastic.ranks());
            event.put("reason", reason);
            String line = JsonLines.line(event);
            files.appendMetricsLine(line);
            System.out.printf(
                    "RESIZE attempt %s: %d executor(s) for %d ranks from step %d (%s)%n",
                    id, executors, elastic.ranks(), checkpointAtStart, reason);
        }
        System.out.printf(
                "attempt %s: %d executor(s) for %d ranks, from step %d%n",
                id, executors, elastic.ranks(), checkpointAtStart);
        lastExecutors = executors;
    }

    /** A failed attempt: returns why (for the next attempt's record), or throws when the run must end now. */
    String failed(Throwable failure) throws IOException {
        String messages = messages(failure);
        for (String marker : NOT_RETRIED) {
            if (messages.contains(marker)) {
                throw new IllegalStateException(
                        "the run failed with an error that recurs on every retry: " + firstLine(failure), failure);
            }
        }
        failuresWithoutProgress = newestCheckpoint() > checkpointAtStart ? 1 : failuresWithoutProgress + 1;
        if (failuresWithoutProgress >= maxFailures) {
            throw new IllegalStateException(
                    maxFailures + " attempts in a row failed without a new checkpoint; last: " + firstLine(failure),
                    failure);
        }
        return firstLine(failure);
    }

    /** The step of the newest checkpoint, 0 before the first. */
    private long newestCheckpoint() throws IOException {
        List<Long> steps = checkpoints.steps();
        return steps.isEmpty() ? 0 : steps.get(steps.size() - 1);
    }

    /** What the attempt after this one is told it follows. */
    void next(String why) {
        reason = why;
    }

    private static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getClass().getName())
                    .append(": ")
                    .append(c.getMessage())
                    .append('\n');
        }
        return sb.toString();
    }

    /** The first line of the innermost message that says something (Spark wraps task failures in its own). */
    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        String line = m.lines().filter(l -> !l.isBlank()).findFirst().orElse(m);
        for (String l : m.lines().toList()) {
            if ((l.contains("Exception:") || l.contains("Failure (")) && !l.startsWith("\t")) {
                line = l.strip(); // the task's own exception, inside Spark's "Job aborted ..." text
                break;
            }
        }
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
