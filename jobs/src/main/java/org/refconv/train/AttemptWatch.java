package org.refconv.train;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * The driver's view of the executors that run an attempt: when each last sent Spark a heartbeat, and which run a
 * task now. A frozen executor (SIGSTOP, a host stuck in swap) or one cut off from the driver stops heartbeating
 * long before Spark's own timeout ({@code spark.network.timeout}, 120 s) removes it: {@link #silent} finds it
 * within {@code peerTimeout}. Its peers then wait inside a collective that no interrupt ends, so {@link #stopTasks}
 * kills and replaces every executor whose task does not stop.
 */
final class AttemptWatch extends SparkListener implements AutoCloseable {

    /** Local mode's single executor: it shares the driver's JVM, a heartbeat tells nothing there. */
    private static final String DRIVER = "driver";

    private final SparkContext sc;
    private final Map<String, Long> lastHeartbeat = new ConcurrentHashMap<>();
    private final Map<String, Set<Long>> runningTasks = new ConcurrentHashMap<>();

    AttemptWatch(SparkContext sc) {
        this.sc = sc;
        sc.addSparkListener(this);
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded added) {
        lastHeartbeat.put(added.executorId(), System.nanoTime());
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
        lastHeartbeat.remove(removed.executorId());
        runningTasks.remove(removed.executorId());
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        lastHeartbeat.put(update.execId(), System.nanoTime());
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart start) {
        String executor = start.taskInfo().executorId();
        runningTasks
                .computeIfAbsent(executor, e -> ConcurrentHashMap.newKeySet())
                .add(start.taskInfo().taskId());
        lastHeartbeat.putIfAbsent(executor, System.nanoTime());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        Set<Long> tasks = runningTasks.get(end.taskInfo().executorId());
        if (tasks != null) {
            tasks.remove(end.taskInfo().taskId());
        }
    }

    /** An executor running a task that has sent no heartbeat for {@code timeout}, if any. */
    Optional<String> silent(Duration timeout) {
        long now = System.nanoTime();
        for (Map.Entry<String, Set<Long>> e : runningTasks.entrySet()) {
            Long seen = lastHeartbeat.get(e.getKey());
            if (e.getValue().isEmpty() || seen == null || e.getKey().equals(DRIVER)) {
                continue;
            }
            long silentNanos = now - seen;
            if (silentNanos > timeout.toNanos()) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** Executors that still run a task. */
    Set<String> busyExecutors() {
        Set<String> busy = ConcurrentHashMap.newKeySet();
        runningTasks.forEach((executor, tasks) -> {
            if (!tasks.isEmpty()) {
                busy.add(executor);
            }
        });
        return busy;
    }

    /**
     * Ends the tasks of a failed or cancelled attempt: kills and replaces the {@code silent} executors at once (a
     * frozen JVM cannot run Spark's task reaper), then waits up to {@code wait} for the other tasks to end (a rank
     * blocked in a collective with a killed peer fails once the peer's sockets close, and its executor, warm, stays),
     * and kills and replaces the executors whose task still runs. {@code killAndReplaceExecutor} keeps the
     * application's executor target, so a replacement is asked for. Returns the executors killed.
     */
    Set<String> stopTasks(Set<String> silent, Duration wait) throws InterruptedException {
        Set<String> killed = new java.util.TreeSet<>();
        for (String executor : silent) {
            kill(executor);
            killed.add(executor);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (!busyExecutors().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        Set<String> stuck = busyExecutors();
        stuck.remove(DRIVER);
        for (String executor : stuck) {
            kill(executor);
            killed.add(executor);
        }
        return killed;
    }

    private void kill(String executor) {
        sc.killAndReplaceExecutor(executor);
        runningTasks.remove(executor);
        lastHeartbeat.remove(executor);
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
