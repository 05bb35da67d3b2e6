package org.refconv.engine;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exclusive turns admit one thread at a time in the process; the default admits all at once. */
class ComputeTurnsTest {

    private static final int THREADS = 3;

    @Test
    void exclusiveTurnsNeverOverlap() throws Exception {
        assertEquals(1, mostThreadsInsideAtOnce(ComputeTurns.EXCLUSIVE));
    }

    @Test
    void withoutTurnsThreadsComputeTogether() throws Exception {
        assertEquals(THREADS, mostThreadsInsideAtOnce(ComputeTurns.NONE));
    }

    @Test
    void ranksSharingAJvmTakeTurns() {
        assertTrue(ComputeTurns.forRanksSharingAJvm(true).exclusive());
        assertFalse(ComputeTurns.forRanksSharingAJvm(false).exclusive());
    }

    /**
     * Each thread takes a turn and, inside it, waits up to 300 ms for all threads to be inside too, several times;
     * returns the largest number of threads seen inside together.
     */
    private static int mostThreadsInsideAtOnce(ComputeTurns turns) throws Exception {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Thread[] threads = new Thread[THREADS];
        for (int round = 0; round < 3; round++) {
            CountDownLatch allInside = new CountDownLatch(THREADS);
            for (int t = 0; t < THREADS; t++) {
                threads[t] = new Thread(() -> {
                    try (ComputeTurns.Turn turn = turns.take()) {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        allInside.countDown();
                        allInside.await(300, TimeUnit.MILLISECONDS);
                        inside.decrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        return most.get();
    }
}
