package org.refconv.engine;

import org.bytedeco.openblas.global.openblas_full;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlasThreadsTest {

    @Test
    void quietOnlyForShortSpinTimeouts() {
        assertTrue(BlasThreads.quiet("4"));
        assertTrue(BlasThreads.quiet(" 12 "));
        assertFalse(BlasThreads.quiet("13"));
        assertTrue(BlasThreads.quiet("1")); // OpenBLAS raises 1-3 to 4
        assertFalse(BlasThreads.quiet("28")); // OpenBLAS's default spin: 2^28 cycles
        assertFalse(BlasThreads.quiet("0")); // taken as unset: the default spin
        assertFalse(BlasThreads.quiet("-4"));
        assertFalse(BlasThreads.quiet(null));
        assertFalse(BlasThreads.quiet("short"));
    }

    @Test
    void pthreadsPoolGetsTheEngineThreadsOnlyWhenItsWorkersSleepAtOnce() {
        assertEquals(4, BlasThreads.threadsFor(4, 1, "4"));
        assertEquals(1, BlasThreads.threadsFor(4, 1, null));
        assertEquals(1, BlasThreads.threadsFor(4, 1, "28"));
        // Sequential and OpenMP builds have no pool of their own to size.
        assertEquals(0, BlasThreads.threadsFor(4, 0, "4"));
        assertEquals(0, BlasThreads.threadsFor(4, 2, null));
    }

    @Test
    void descriptionSaysWhatWasDoneAndHowToGetMore() {
        assertEquals("OpenBLAS 2 threads (OPENBLAS_THREAD_TIMEOUT=4)", BlasThreads.describe(2, 2, "4"));
        String single = BlasThreads.describe(1, 2, null);
        assertTrue(single.startsWith("OpenBLAS 1 thread:") && single.contains("OPENBLAS_THREAD_TIMEOUT=4"), single);
        // One engine thread without the variable: still the advice, not a "timeout=null" line.
        String oneThread = BlasThreads.describe(1, 1, null);
        assertTrue(oneThread.startsWith("OpenBLAS 1 thread:"), oneThread);
    }

    /**
     * On the libtorch this project ships (JavaCPP's, pthreads OpenBLAS), the engine's thread count reaches OpenBLAS.
     * That it is the copy libtorch's products run in (see {@link BlasThreads}) shows in ZooBench's step times.
     */
    @Test
    void engineThreadsReachTheOpenBlasThatLibtorchLoaded() {
        assertEquals(1, openblas_full.openblas_get_parallel(), "expected JavaCPP's pthreads OpenBLAS");
        int before = Engine.threads();
        try {
            String quiet = System.getenv("OPENBLAS_THREAD_TIMEOUT");
            String said = Engine.setThreads(2);
            int expected = BlasThreads.quiet(quiet) ? 2 : 1;
            assertEquals(expected, openblas_full.openblas_get_num_threads(), said);
            assertTrue(said.startsWith("2 threads, OpenBLAS " + expected), said);
            Engine.setThreads(1);
            assertEquals(1, openblas_full.openblas_get_num_threads());
        } finally {
            Engine.setThreads(before);
        }
    }
}
