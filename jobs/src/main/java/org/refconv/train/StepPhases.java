package org.refconv.train;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Where a rank's training steps spend their time, phase by phase: what a user reads in the executor log when a run
 * is slower than expected, and what the training benchmark prints per variant. Each phase keeps every step's time;
 * {@link #medianSeconds()} reports the median per phase (the first step, which creates kernels, and steps a shared
 * machine stalls do not move it).
 */
final class StepPhases {

    /** The phases of one step, in the order a step runs them. */
    enum Phase {
        /** Waiting for the input pipeline's next batch and copying it into a tensor. */
        INPUT("input"),
        /** Forward and the loss, with the wait for a compute turn when ranks share a JVM (docs/engine.md). */
        FORWARD("forward"),
        /** Backward, including waiting for the gradient all-reduce that overlaps it (or follows it, when blocking). */
        BACKWARD_AND_SYNC("backward+sync"),
        /** The fused RefConv layers' dWr from their averaged dWt (zero for plain models). */
        REFOCUSING_GRADIENT("refocusing-grad"),
        UPDATE("sgd-update");

        private final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    private final LongSupplier clock;
    private final long[][] nanos = new long[Phase.values().length][16];
    private int steps;
    private boolean inStep;
    private long phaseStart;

    StepPhases() {
        this(System::nanoTime);
    }

    /** With a clock in nanoseconds (tests give a fake one). */
    StepPhases(LongSupplier clock) {
        this.clock = clock;
    }

    /** Starts a step unless one is open: for a caller that times only part of a step (no input phase). */
    void startStepIfNone() {
        if (!inStep) {
            startStep();
        }
    }

    /** Starts timing a new step, with its first phase. */
    void startStep() {
        if (steps == nanos[0].length) {
            for (int p = 0; p < nanos.length; p++) {
                nanos[p] = Arrays.copyOf(nanos[p], 2 * steps);
            }
        }
        steps++;
        inStep = true;
        phaseStart = clock.getAsLong();
    }

    /** Ends {@code phase} of the current step; the next phase starts now, and the step ends with its update. */
    void end(Phase phase) {
        if (!inStep) {
            throw new IllegalStateException("phase " + phase.label + " ended outside a step: call startStep first");
        }
        long now = clock.getAsLong();
        nanos[phase.ordinal()][steps - 1] += now - phaseStart;
        phaseStart = now;
        inStep = phase != Phase.UPDATE;
    }

    /** Drops the current step's figures (a batch skipped when resuming mid-epoch is not a step). */
    void discardStep() {
        inStep = false;
        steps--;
        for (long[] phase : nanos) {
            phase[steps] = 0;
        }
    }

    int steps() {
        return steps;
    }

    /** Seconds of all steps timed, every phase: the rank's training time. */
    double totalSeconds() {
        return Arrays.stream(stepNanos()).sum() / 1e9;
    }

    /** The median step's seconds, every phase; 0 before the first step. */
    double medianStepSeconds() {
        return Median.of(stepNanos()) / 1e9;
    }

    private long[] stepNanos() {
        long[] total = new long[steps];
        for (long[] phase : nanos) {
            for (int i = 0; i < steps; i++) {
                total[i] += phase[i];
            }
        }
        return total;
    }

    /** Median seconds of each phase over the steps timed, in step order; empty before the first step. */
    Map<String, Double> medianSeconds() {
        Map<String, Double> medians = new LinkedHashMap<>();
        if (steps == 0) {
            return medians;
        }
        for (Phase p : Phase.values()) {
            medians.put(p.label, Median.of(Arrays.copyOf(nanos[p.ordinal()], steps)) / 1e9);
        }
        return medians;
    }

    /** One line for the log: "input 0.004 s, forward 0.310 s, ...". */
    static String format(Map<String, Double> medianSeconds) {
        StringBuilder line = new StringBuilder();
        medianSeconds.forEach((phase, secs) -> line.append(line.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%s %.4f s", phase, secs)));
        return line.toString();
    }
}
