package org.refconv.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Runs N ranks of a Gloo group as threads of this JVM on 127.0.0.1: for tests and for debugging the data-parallel
 * logic without a cluster. Each rank's result is returned in rank order; the first failure is rethrown.
 */
public final class LocalRanks {

    private LocalRanks() {}

    public static <T> List<T> run(int worldSize, Function<Collectives, T> body) throws Exception {
        int port = FreePort.find();
        GroupToken token = GroupToken.random();
        ExecutorService pool = Executors.newFixedThreadPool(worldSize);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < worldSize; r++) {
                int rank = r;
                futures.add(pool.submit(() -> {
                    try (Collectives c = Collectives.connect(
                            "127.0.0.1",
                            port,
                            "127.0.0.1",
                            rank,
                            worldSize,
                            CollectiveBackend.GLOO,
                            Duration.ofSeconds(60),
                            Collectives.DEFAULT_RENDEZVOUS_TIMEOUT,
                            token)) {
                        T result = body.apply(c);
                        c.barrier();
                        return result;
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
