package org.refconv.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One test bed for every test class of the JVM that uses it ({@code @ExtendWith(SharedTestbed.class)}): brought up
 * with {@link #HOSTS} hosts before the first such class and taken down (and checked gone) when the whole test run
 * ends. A class that injects a fault heals it before it ends ({@link Testbed#heal()}), so the classes' order does not
 * matter. Skipped, loudly, only where network namespaces cannot be made (not root, no iproute2).
 *
 * <p>Settings: {@code -Drefconv.testbed.timeout=900} (seconds, per test bed command); {@code
 * -Drefconv.testbed.keep=true} leaves the test bed up after the run (to look at its logs, or to rerun quickly).
 */
public final class SharedTestbed implements BeforeAllCallback {
    /** h0 the head; h1..h3 workers: two for a job's ranks, one spare for a rank's host killed mid-run. */
    public static final int HOSTS = 4;

    static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("refconv.testbed.timeout", 900));

    private static Testbed testbed;
    private static String unavailable;

    @Override
    public void beforeAll(ExtensionContext context) {
        Up up = context.getRoot()
                .getStore(ExtensionContext.Namespace.create(SharedTestbed.class))
                .getOrComputeIfAbsent("testbed", k -> new Up(), Up.class);
        if (unavailable != null) {
            Assumptions.abort(unavailable);
        }
        if (up.failure != null) {
            throw up.failure;
        }
    }

    /** The test bed, up (after {@link #beforeAll}). */
    public static Testbed get() {
        return testbed;
    }

    private static final class Up implements ExtensionContext.Store.CloseableResource {
        private RuntimeException failure;

        Up() {
            unavailable = Testbed.whyUnavailable();
            if (unavailable != null) {
                System.err.println("\n**********************************************************************\n"
                        + "** Test bed tests SKIPPED: " + unavailable + "\n"
                        + "** The multi-host test bed (HDFS, YARN, Spark over network namespaces) was NOT tested.\n"
                        + "**********************************************************************\n");
                return;
            }
            try {
                Testbed t = new Testbed(Testbed.repoRoot(), TIMEOUT);
                long start = System.nanoTime();
                Testbed.Result r = t.up(HOSTS);
                System.err.printf("testbed up (%d hosts) in %.0f s%n", HOSTS, (System.nanoTime() - start) / 1e9);
                if (!r.stdout().contains("export REFCONV_TESTBED_HOSTS=\"h0 h1 h2 h3\"")) {
                    throw new IllegalStateException("unexpected output of testbed up:\n" + r.stdout());
                }
                testbed = t;
            } catch (IOException e) {
                failure = new UncheckedIOException(e);
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        @Override
        public void close() throws IOException {
            if (testbed == null || Boolean.getBoolean("refconv.testbed.keep")) {
                return;
            }
            Testbed.Result down = testbed.down();
            Testbed.Result netns = Testbed.run(List.of("ip", "netns", "list"), Duration.ofSeconds(10));
            if (down.exitCode() != 0 || netns.stdout().contains("rctb-")) {
                throw new IllegalStateException("testbed down left something behind (exit " + down.exitCode() + "):\n"
                        + down.stderr() + "\nnamespaces: " + netns.stdout());
            }
        }
    }
}
