package org.refconv.train;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.refconv.train.StepPhases.Phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Phase times against a fake clock: each phase gets the time between its end and the previous phase's end. */
class StepPhasesTest {

    /** A clock that advances only when told to, by whole milliseconds. */
    private static final class FakeClock {
        long nanos;

        void advanceMillis(long ms) {
            nanos += ms * 1_000_000;
        }
    }

    /** One step whose phases take the given milliseconds, in Phase order. */
    private static void step(StepPhases phases, FakeClock clock, long... ms) {
        phases.startStep();
        Phase[] order = Phase.values();
        for (int p = 0; p < order.length; p++) {
            clock.advanceMillis(ms[p]);
            phases.end(order[p]);
        }
    }

    @Test
    void mediansPerPhaseInStepOrder() {
        FakeClock clock = new FakeClock();
        StepPhases phases = new StepPhases(() -> clock.nanos);
        // The forward's times are 10, 50, 30: median 30; the first step's long input (a stall) is not the median.
        step(phases, clock, 900, 10, 20, 1, 5);
        step(phases, clock, 2, 50, 22, 3, 5);
        step(phases, clock, 4, 30, 21, 2, 7);
        Map<String, Double> m = phases.medianSeconds();
        assertEquals(
                List.of("input", "forward", "backward+sync", "refocusing-grad", "sgd-update"), List.copyOf(m.keySet()));
        assertEquals(List.of(0.004, 0.030, 0.021, 0.002, 0.005), List.copyOf(m.values()));
        assertEquals(3, phases.steps());
        // Steps of 936, 82 and 64 ms: the stalled one counts in the total, not in the median step.
        assertEquals(1.082, phases.totalSeconds(), 1e-12);
        assertEquals(0.082, phases.medianStepSeconds(), 1e-12);
        assertEquals(
                "input 0.0040 s, forward 0.0300 s, backward+sync 0.0210 s, refocusing-grad 0.0020 s,"
                        + " sgd-update 0.0050 s",
                StepPhases.format(m));
    }

    @Test
    void aStepWithoutAnInputPhaseStartsWhereTheCallerSays() {
        // TrainStep.run called directly (as in DataParallelStepTest) starts the step itself: no input phase.
        FakeClock clock = new FakeClock();
        StepPhases phases = new StepPhases(() -> clock.nanos);
        clock.advanceMillis(1000); // before the step: not part of it
        for (long forwardMs : new long[] {3, 5}) {
            phases.startStepIfNone();
            clock.advanceMillis(forwardMs);
            phases.end(Phase.FORWARD);
            clock.advanceMillis(2 * forwardMs);
            phases.end(Phase.BACKWARD_AND_SYNC);
            clock.advanceMillis(1);
            phases.end(Phase.UPDATE);
            clock.advanceMillis(500); // between steps: not part of either
        }
        Map<String, Double> m = phases.medianSeconds();
        assertEquals(2, phases.steps());
        assertEquals(0.004, m.get("forward"), 1e-12); // of {3, 5} ms: their mean
        assertEquals(0.008, m.get("backward+sync"), 1e-12);
        assertEquals(0.0, m.get("input"));
    }

    @Test
    void aPhaseEndedOutsideAStepIsRefused() {
        StepPhases phases = new StepPhases(() -> 0L);
        assertThrows(IllegalStateException.class, () -> phases.end(Phase.FORWARD));
        phases.startStep();
        phases.end(Phase.UPDATE); // the update closes the step
        assertThrows(IllegalStateException.class, () -> phases.end(Phase.FORWARD));
        assertEquals(1, phases.steps());
    }

    @Test
    void anOpenStepIsNotRestarted() {
        FakeClock clock = new FakeClock();
        StepPhases phases = new StepPhases(() -> clock.nanos);
        phases.startStep();
        clock.advanceMillis(7);
        phases.end(Phase.INPUT);
        phases.startStepIfNone(); // as TrainStep.run does after the trainer's input phase
        clock.advanceMillis(9);
        phases.end(Phase.FORWARD);
        phases.end(Phase.UPDATE);
        assertEquals(1, phases.steps());
        assertEquals(0.007, phases.medianSeconds().get("input"), 1e-12);
        assertEquals(0.009, phases.medianSeconds().get("forward"), 1e-12);
    }

    @Test
    void discardedStepsAndManyStepsAreCountedRight() {
        FakeClock clock = new FakeClock();
        StepPhases phases = new StepPhases(() -> clock.nanos);
        for (int i = 0; i < 41; i++) { // past the initial capacity, twice
            phases.startStep();
            clock.advanceMillis(3);
            if (i % 2 == 1) {
                phases.discardStep(); // a batch skipped on resume: its input time is not a step's
                continue;
            }
            phases.end(Phase.INPUT);
            clock.advanceMillis(i);
            phases.end(Phase.FORWARD);
            phases.end(Phase.BACKWARD_AND_SYNC);
            phases.end(Phase.REFOCUSING_GRADIENT);
            phases.end(Phase.UPDATE);
        }
        assertEquals(21, phases.steps());
        Map<String, Double> m = phases.medianSeconds();
        assertEquals(0.003, m.get("input"));
        assertEquals(0.020, m.get("forward")); // forward times 0, 2, ..., 40 ms: median 20
        assertTrue(new StepPhases().medianSeconds().isEmpty());
    }
}
