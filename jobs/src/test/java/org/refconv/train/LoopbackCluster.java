package org.refconv.train;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.spark.sql.SparkSession;
import org.refconv.dist.FreePort;

/**
 * A real Spark standalone cluster on 127.0.0.1 made of separate JVMs from the Maven jars: one master and N workers
 * of one core each (so N task slots), plus a driver session in the test JVM. Executors get the test class path.
 */
final class LoopbackCluster implements AutoCloseable {

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final int masterPort;
    private final List<SparkSession> sessions = new ArrayList<>();
    private final List<String> workerJvmOptions;
    /** Spark's authentication is on, as conf/spark-standalone.conf has it, with a secret made for this cluster. */
    private final Path secretFile;

    LoopbackCluster(Path dir, int workers) throws IOException, InterruptedException {
        this(dir, workers, List.of());
    }

    /** @param workerJvmOptions extra -D options for the worker JVMs (e.g. the GPUs they offer) */
    LoopbackCluster(Path dir, int workers, List<String> workerJvmOptions) throws IOException, InterruptedException {
        this.dir = dir;
        this.workerJvmOptions = workerJvmOptions;
        Files.createDirectories(dir.resolve("spark-home/jars"));
        secretFile = dir.resolve("spark-auth.conf");
        byte[] secret = new byte[32];
        new java.security.SecureRandom().nextBytes(secret);
        Files.deleteIfExists(secretFile);
        Files.createFile(
                secretFile,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(
                secretFile,
                "spark.authenticate true\nspark.authenticate.secret "
                        + java.util.HexFormat.of().formatHex(secret) + "\nspark.network.crypto.enabled true\n");
        masterPort = FreePort.find();
        processes.add(start(
                "master",
                List.of(),
                List.of(
                        "org.apache.spark.deploy.master.Master",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        String.valueOf(masterPort),
                        "--webui-port",
                        String.valueOf(FreePort.find()),
                        "--properties-file",
                        secretFile.toString())));
        awaitPort(masterPort);
        for (int i = 0; i < workers; i++) {
            processes.add(startWorker(i));
        }
    }

    private Process startWorker(int i) throws IOException {
        Path work = Files.createDirectories(dir.resolve("worker-" + i));
        return start(
                "worker-" + i + "-" + System.nanoTime(),
                workerJvmOptions,
                List.of(
                        "org.apache.spark.deploy.worker.Worker",
                        "--host",
                        "127.0.0.1",
                        "--cores",
                        "1",
                        "--memory",
                        "2g",
                        "--webui-port",
                        String.valueOf(FreePort.find()),
                        "--work-dir",
                        work.toString(),
                        "--properties-file",
                        secretFile.toString(),
                        masterUrl()));
    }

    /** Kills worker {@code i} for good: its JVM and its executors, at once (a host that is gone). */
    void killWorker(int i) throws InterruptedException {
        Process worker = processes.get(i + 1);
        worker.descendants().forEach(ProcessHandle::destroyForcibly);
        worker.destroyForcibly();
        worker.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts worker {@code i} again (after {@link #killWorker}): a host that came back. */
    void restartWorker(int i) throws IOException {
        processes.set(i + 1, startWorker(i));
    }

    /** Pids of the executor JVMs worker {@code i} runs now. */
    List<Long> executorPids(int i) {
        return processes
                .get(i + 1)
                .descendants()
                .filter(ProcessHandle::isAlive)
                .map(ProcessHandle::pid)
                .toList();
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** A driver session on this cluster: one 1-core executor per worker; {@link #close} stops it. */
    SparkSession session(String appName) {
        return session(appName, java.util.Map.of());
    }

    SparkSession session(String appName, java.util.Map<String, Object> extraConf) {
        SparkSession session;
        try {
            session = TestSpark.onCluster(appName, masterUrl(), dir.resolve("local"))
                    .config(TestSpark.authenticated(TestSpark.secretIn(secretFile)))
                    .config("spark.stage.maxConsecutiveAttempts", "4")
                    .config(extraConf)
                    .getOrCreate();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        sessions.add(session);
        return session;
    }

    /** Pids of the executor JVMs currently running: the workers' children (workers start nothing else). */
    List<Long> executorPids() {
        List<Long> pids = new ArrayList<>();
        for (Process p : processes.subList(1, processes.size())) {
            p.descendants().filter(ProcessHandle::isAlive).forEach(h -> pids.add(h.pid()));
        }
        return pids;
    }

    private Process start(String name, List<String> jvmOptions, List<String> mainAndArgs) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(TestSpark.childJvm("512m", jvmOptions, mainAndArgs))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", dir.resolve("spark-home").toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("OPENBLAS_THREAD_TIMEOUT", "4");
        return pb.start();
    }

    private static void awaitPort(int port) throws InterruptedException, IOException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IOException("Spark master did not open port " + port);
    }

    @Override
    public void close() throws InterruptedException {
        sessions.forEach(SparkSession::stop);
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    File logDir() {
        return dir.toFile();
    }
}
