package org.refconv.dist;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Tensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rendezvous timeout: short for joining the group, the collectives' own after it formed. */
class RendezvousTimeoutTest {

    private static final GroupToken TOKEN = GroupToken.random();

    /** A rank whose store is unreachable fails within the rendezvous timeout, naming where it looked. */
    @Test
    void anUnreachableStoreFailsWithinTheRendezvousTimeout() {
        int port = FreePort.find();
        long start = System.nanoTime();
        RendezvousException e = failsToRendezvous(port, 1);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds >= 2.5, "gave up after " + seconds + " s, before its 3 s");
        assertTrue(
                e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("within 3 s"), e.getMessage());
    }

    /** Rank 0 whose peer never comes fails within the rendezvous timeout too, not the collectives' 10 minutes. */
    @Test
    void aGroupThatDoesNotFormFailsWithinTheRendezvousTimeout() {
        int port = FreePort.find();
        RendezvousException e = failsToRendezvous(port, 0);
        assertTrue(e.getMessage().startsWith("rank 0 of 2"), e.getMessage());
    }

    /** Once formed, a collective waits for a late rank longer than the rendezvous timeout. */
    @Test
    void collectivesAfterTheRendezvousGetTheLongerTimeout() throws Exception {
        int port = FreePort.find();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<float[]> r0 = pool.submit(() -> rank(port, 0, 0));
            Future<float[]> r1 = pool.submit(() -> rank(port, 1, 5000));
            assertArrayEquals(new float[] {3}, r0.get());
            assertArrayEquals(new float[] {3}, r1.get());
        } finally {
            pool.shutdownNow();
        }
    }

    private static float[] rank(int port, int rank, long sleepBeforeCollectiveMs) throws InterruptedException {
        try (Collectives c = Collectives.connect(
                "127.0.0.1",
                port,
                "127.0.0.1",
                rank,
                2,
                CollectiveBackend.GLOO,
                Duration.ofSeconds(60),
                Duration.ofSeconds(2),
                TOKEN)) {
            Thread.sleep(sleepBeforeCollectiveMs);
            Tensor t = Tensors.fromFloats(new float[] {rank + 1}, 1);
            c.allReduceSum(List.of(t));
            return Tensors.toFloats(t);
        }
    }

    /** Joins a world of 2 as {@code rank} with a 3 s rendezvous timeout, which must fail (within a minute). */
    private static RendezvousException failsToRendezvous(int port, int rank) {
        return assertTimeoutPreemptively(
                Duration.ofSeconds(60),
                () -> assertThrows(
                        RendezvousException.class,
                        () -> Collectives.connect(
                                "127.0.0.1",
                                port,
                                "127.0.0.1",
                                rank,
                                2,
                                CollectiveBackend.GLOO,
                                Duration.ofMinutes(10),
                                Duration.ofSeconds(3),
                                TOKEN)));
    }
}
