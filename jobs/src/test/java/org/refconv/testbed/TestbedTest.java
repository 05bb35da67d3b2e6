package org.refconv.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The multi-host test bed ({@code deploy/bin/testbed}): hosts h0..h3, each a network namespace whose own name
 * resolves to 127.0.1.1 on itself, with real HDFS, YARN and Spark standalone daemons; one {@code up} shared with the
 * other test bed classes ({@link SharedTestbed}).
 */
@Tag("testbed")
@ExtendWith(SharedTestbed.class)
class TestbedTest {
    private static final String ARCHIVE = "hdfs://h0:8020/testbed/spark-libs.jar";

    private static Testbed testbed;
    private static Path appJar;

    @BeforeAll
    static void up() throws IOException {
        testbed = SharedTestbed.get();
        Path repo = Testbed.repoRoot();
        Path classes = Path.of(HostsPi.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .getPath());
        appJar = Testbed.jar(classes, "org/refconv/testbed", repo.resolve("target/testbed/testbed-apps.jar"));
    }

    @Test
    void hdfsWrittenOnOneWorkerHostIsReadOnAnotherWithTwoReplicas() throws IOException {
        Path local = Files.createTempFile("testbed", ".txt");
        String content = "written on h1 at " + System.nanoTime();
        Files.writeString(local, content);
        try {
            ok(testbed.script("fs", "h1", "-mkdir", "-p", "/junit"));
            ok(testbed.script("fs", "h1", "-put", "-f", local.toString(), "/junit/hello.txt"));
            assertEquals(
                    content,
                    ok(testbed.script("fs", "h2", "-cat", "/junit/hello.txt")).stdout());
            // Two of the three worker hosts' DataNodes hold a replica (the client writes the pipeline by bridge
            // address).
            String fsck = ok(testbed.script(
                            "hadoop",
                            "h0",
                            "org.apache.hadoop.hdfs.tools.DFSck",
                            "/junit/hello.txt",
                            "-files",
                            "-blocks",
                            "-locations"))
                    .stdout();
            long replicas = java.util.stream.Stream.of("10.77.0.11:9866", "10.77.0.12:9866", "10.77.0.13:9866")
                    .filter(fsck::contains)
                    .count();
            assertEquals(2, replicas, fsck);
            assertTrue(fsck.contains("is HEALTHY"), fsck);
        } finally {
            Files.deleteIfExists(local);
        }
    }

    @Test
    void standaloneMasterRunsTasksOnTwoHosts() throws IOException {
        Testbed.Result r = ok(testbed.submit(List.of(
                "--master",
                "spark://10.77.0.10:7077",
                "--conf",
                "spark.executor.cores=1",
                "--conf",
                "spark.executor.memory=512m",
                "--conf",
                "spark.cores.max=2",
                "--conf",
                "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf",
                "spark.ui.enabled=false",
                "--class",
                HostsPi.class.getName(),
                appJar.toString(),
                "4")));
        checkHostsPi(r.stdout(), "h0");
        // The test bed's submit added the cluster's secret (its master and workers refuse anyone without it).
        String secret = testbed.sparkSecret();
        assertFalse(r.stdout().contains(secret) || r.stderr().contains(secret), "the secret was printed");
    }

    /**
     * The standalone master and workers run with Spark's authentication on (a secret made per test bed, readable by
     * root only): an application submitted without the secret is refused (the one above carried it).
     */
    @Test
    void theStandaloneMasterRefusesASubmissionWithoutTheSecret() throws IOException {
        Path secretFile = testbed.dir().resolve("spark-auth.conf");
        assertEquals(
                Set.of(
                        java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
                Files.getPosixFilePermissions(secretFile));
        String secret = testbed.sparkSecret();
        assertTrue(secret != null && secret.length() >= 32, "no secret in " + secretFile);
        List<String> args = List.of(
                "--master",
                "spark://10.77.0.10:7077",
                "--conf",
                "spark.cores.max=2",
                "--conf",
                "spark.executor.memory=512m",
                "--conf",
                "spark.ui.enabled=false",
                "--class",
                HostsPi.class.getName(),
                appJar.toString(),
                "4");
        Testbed.Result refused = testbed.submit(args, java.util.Map.of("REFCONV_SPARK_SECRET_FILE", ""));
        assertNotEquals(0, refused.exitCode(), "a submission without the secret ran:\n" + refused.stdout());
        assertTrue(refused.line("PI") == null, refused.stdout());
        assertTrue(
                refused.stderr().contains("All masters are unresponsive"),
                "not refused by the master: " + tail(refused.stderr()));
        assertFalse(refused.stderr().contains(secret), "the secret was printed");
    }

    @Test
    void yarnClientModeRunsExecutorsOnTwoHosts() throws IOException {
        Testbed.Result r = ok(testbed.submit(yarn("client", List.of())));
        checkHostsPi(r.stdout(), "h0");
        // Spark retries a failed fetch by running the map stage again, so a result alone would hide executors that
        // listen on loopback.
        assertFalse(r.stderr().contains("FetchFailed"), "a shuffle fetch across hosts failed:\n" + tail(r.stderr()));
        String app = Testbed.applicationId(r);
        assertNotNull(app, r.stderr());
        assertEquals(List.of(), testbed.containersKilledForMemory(app));
    }

    @Test
    void yarnClusterModeRunsTheDriverInAContainer() throws IOException {
        Testbed.Result r = ok(testbed.submit(yarn("cluster", List.of())));
        assertTrue(r.stderr().contains("final status: SUCCEEDED"), r.stderr());
        String app = Testbed.applicationId(r);
        assertNotNull(app, r.stderr());
        String driver = testbed.amStdout(app);
        String driverHost = new HostsPiOutput(driver).driver;
        assertTrue(Set.of("h1", "h2", "h3").contains(driverHost), driver);
        checkHostsPi(driver, driverHost);
        String driverLog = Files.readString(testbed.amLog(app, "stderr"));
        assertFalse(driverLog.contains("FetchFailed"), "a shuffle fetch across hosts failed:\n" + tail(driverLog));
        assertEquals(List.of(), testbed.containersKilledForMemory(app));
    }

    /**
     * Two Gloo ranks on h1 and h2, whose own names resolve to 127.0.1.1: binding the host name (what a rank did
     * before RendezvousAddress) fails within the rendezvous timeout; the chosen address forms the group.
     */
    @Test
    void ranksOnTwoHostsRendezvousOnTheChosenAddressNotTheirLoopbackName() throws Exception {
        List<Testbed.Result> byName = twoRanks("name", 29_501);
        for (Testbed.Result r : byName) {
            assertNotEquals(0, r.exitCode(), "binding h1 (127.0.1.1) should not form a group:\n" + r.stdout());
            assertTrue(r.stdout().contains("could not rendezvous"), r.stdout() + r.stderr());
        }
        List<Testbed.Result> chosen = twoRanks("choose", 29_502);
        assertEquals("h1 10.77.0.11", chosen.get(0).line("LOCAL"), chosen.get(0).stdout());
        assertEquals("h2 10.77.0.12", chosen.get(1).line("LOCAL"), chosen.get(1).stdout());
        for (Testbed.Result r : chosen) {
            assertEquals("3.0", ok(r).line("SUM"), r.stdout());
        }
    }

    private static List<Testbed.Result> twoRanks(String mode, int port) throws Exception {
        List<java.util.concurrent.CompletableFuture<Testbed.Result>> ranks = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            List<String> cmd = new ArrayList<>(List.of("exec", "h" + (rank + 1)));
            // Spark's flags as every executor JVM gets them: the store's socket is handed to libtorch by descriptor.
            cmd.addAll(org.refconv.train.TestSpark.childJvm(
                    "256m",
                    List.of("-Drendezvous.seconds=15"),
                    List.of(RendezvousProbe.class.getName(), String.valueOf(rank), "h1", String.valueOf(port), mode)));
            ranks.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return testbed.script(cmd.toArray(String[]::new));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        List<Testbed.Result> out = new ArrayList<>();
        for (var f : ranks) {
            out.add(f.get());
        }
        return out;
    }

    /** The enforcement the other YARN tests rely on: a container over its size is killed (and seen as such). */
    @Test
    void yarnKillsAContainerWhoseNativeMemoryExceedsItsOverhead() throws IOException {
        List<String> conf = List.of(
                "--conf", "spark.executor.instances=1",
                "--conf", "spark.task.maxFailures=1",
                "--conf", "spark.executor.extraJavaOptions=-XX:MaxDirectMemorySize=3g");
        // 1200 MB of touched direct memory in a 512 MB heap + 384 MB overhead container.
        Testbed.Result r = testbed.submit(yarn("client", conf, "1", "1200"));
        assertNotEquals(0, r.exitCode(), "the application should have failed:\n" + r.stdout());
        String app = Testbed.applicationId(r);
        assertNotNull(app, r.stderr());
        List<String> killed = testbed.containersKilledForMemory(app);
        assertFalse(killed.isEmpty(), "no container of " + app + " was killed for memory:\n" + r.stderr());
    }

    /**
     * GPUs on YARN, the scheduling logic only: the NodeManagers declare 2 of the resource type yarn.io/gpu, Spark asks
     * YARN for one per executor (spark.executor.resource.gpu.amount), each executor names its addresses with the fake
     * discovery script, and each task sees the address it was given.
     */
    @Test
    void yarnSchedulesGpusAndATaskSeesItsAddress() throws IOException {
        String script =
                Testbed.repoRoot().resolve("deploy/gpu/fake-discover-gpus.sh").toString();
        Testbed.Result r = ok(testbed.submit(yarn(
                "client",
                List.of(
                        "--conf", "spark.executor.resource.gpu.amount=1",
                        "--conf", "spark.task.resource.gpu.amount=1",
                        "--conf", "spark.executor.resource.gpu.discoveryScript=" + script,
                        "--conf", "spark.executorEnv.FAKE_GPUS=1",
                        "--class", GpuAddresses.class.getName()),
                "2")));
        List<String> gpus = r.stdout().lines().filter(l -> l.startsWith("GPU ")).toList();
        assertEquals(2, gpus.size(), r.stdout());
        for (String g : gpus) {
            assertTrue(g.matches("GPU h[1-3] 0"), g);
        }
        String app = Testbed.applicationId(r);
        assertNotNull(app, r.stderr());
        // YARN itself granted the GPUs: the application's resource-seconds include yarn.io/gpu.
        String report = testbed.applicationReport(app);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"key\":\"yarn.io/gpu\",\"value\":\"?(\\d+)")
                .matcher(report);
        assertTrue(m.find() && Long.parseLong(m.group(1)) > 0, report);
    }

    private static List<String> yarn(String deployMode, List<String> extra, String... appArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--master", "yarn",
                "--deploy-mode", deployMode,
                "--conf", "spark.yarn.archive=" + ARCHIVE,
                // One 3-vcore executor fits a 4-vcore NodeManager beside the 1-vcore AM, two do not: two hosts.
                "--conf", "spark.executor.instances=2",
                "--conf", "spark.executor.cores=3",
                "--conf", "spark.task.cpus=3",
                "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executor.memoryOverhead=384m",
                "--conf", "spark.driver.memory=512m",
                "--conf", "spark.yarn.am.memory=384m",
                "--conf", "spark.yarn.maxAppAttempts=1",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=300s",
                // No web UI: in client mode YARN's proxy filter is added while the UI starts, and Spark 4.2 then
                // failed now and then to start the context (ConcurrentModificationException in Jetty's ServletHandler).
                "--conf", "spark.ui.enabled=false"));
        args.addAll(extra);
        String main = HostsPi.class.getName();
        int c = extra.indexOf("--class");
        if (c >= 0) { // another of the test bed's applications
            main = extra.get(c + 1);
            args.subList(args.size() - extra.size() + c, args.size() - extra.size() + c + 2)
                    .clear();
        }
        args.addAll(List.of("--class", main, appJar.toString()));
        args.addAll(appArgs.length > 0 ? List.of(appArgs) : List.of("4"));
        return args;
    }

    private static void checkHostsPi(String stdout, String driverHost) {
        HostsPiOutput out = new HostsPiOutput(stdout);
        assertEquals(2, out.hosts.size(), stdout);
        assertFalse(out.hosts.contains("h0"), stdout);
        assertEquals(driverHost, out.driver, stdout);
        assertEquals(3.14159, out.pi, 0.01, stdout);
        assertEquals(1000, out.shuffled, stdout);
    }

    private static Testbed.Result ok(Testbed.Result r) {
        assertEquals(0, r.exitCode(), () -> "exit " + r.exitCode() + "\n" + tail(r.stderr()) + "\n" + r.stdout());
        return r;
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    /** HostsPi's stdout lines. */
    private static final class HostsPiOutput {
        final List<String> hosts;
        final String driver;
        final double pi;
        final long shuffled;

        HostsPiOutput(String stdout) {
            Testbed.Result r = new Testbed.Result(0, stdout, "");
            String h = r.line("HOSTS");
            hosts = h == null ? List.of() : List.of(h.split(","));
            driver = r.line("DRIVER");
            pi = r.line("PI") == null ? Double.NaN : Double.parseDouble(r.line("PI"));
            shuffled = r.line("SHUFFLED") == null ? -1 : Long.parseLong(r.line("SHUFFLED"));
        }
    }
}
