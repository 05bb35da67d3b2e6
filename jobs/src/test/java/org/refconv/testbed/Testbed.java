package org.refconv.testbed;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Drives {@code deploy/bin/testbed} from tests: brings the multi-host test bed up and down, runs commands on its
 * hosts, submits Spark applications from its head host and reads what YARN's NodeManagers logged. Every call is a
 * subprocess of the script, so the tests see the test bed exactly as a user's shell does.
 */
public final class Testbed {
    /** What a finished command printed and its exit code. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** The value after "KEY " on a stdout line, or null. */
        public String line(String key) {
            for (String l : stdout.split("\n")) {
                if (l.startsWith(key + " ")) {
                    return l.substring(key.length() + 1).trim();
                }
            }
            return null;
        }
    }

    private final Path repo;
    private final Duration timeout;

    /** {@code repo}: the checkout whose deploy/bin/testbed runs; its state lives in target/testbed/run. */
    public Testbed(Path repo, Duration timeout) {
        this.repo = repo;
        this.timeout = timeout;
    }

    /** The repository root, found from the working directory of a module's tests. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("deploy/bin/testbed"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException(
                    "deploy/bin/testbed not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    /**
     * Why network namespaces cannot be made here (not root, no iproute2), or null when they can. A namespace is
     * made and removed to be sure.
     */
    public static String whyUnavailable() {
        try {
            Result id = run(List.of("id", "-u"), Duration.ofSeconds(10));
            if (!id.stdout().trim().equals("0")) {
                return "not root (network namespaces need root)";
            }
            Result probe = run(
                    List.of("sh", "-c", "ip netns add rctb-probe && ip netns delete rctb-probe"),
                    Duration.ofSeconds(20));
            if (probe.exitCode() != 0) {
                return "ip netns does not work here: " + probe.stderr().trim();
            }
            Result unshare = run(List.of("unshare", "--uts", "true"), Duration.ofSeconds(10));
            if (unshare.exitCode() != 0) {
                return "unshare --uts does not work here: " + unshare.stderr().trim();
            }
            return null;
        } catch (IOException e) {
            return "cannot run ip/unshare: " + e.getMessage();
        }
    }

    public Path dir() {
        return repo.resolve("target/testbed/run");
    }

    /** testbed up; fails with the script's output when it does. */
    public Result up(int hosts) throws IOException {
        return check(script("up", "--hosts", String.valueOf(hosts)));
    }

    public Result down() throws IOException {
        return script("down");
    }

    /** A command run by the script (e.g. "fs", "h1", "-ls", "/"), whatever its exit code. */
    public Result script(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("bash");
        cmd.add(repo.resolve("deploy/bin/testbed").toString());
        cmd.addAll(Arrays.asList(args));
        return run(cmd, timeout);
    }

    /** SparkSubmit on the head host h0 (testbed submit ARGS). */
    public Result submit(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("submit");
        cmd.addAll(args);
        return script(cmd.toArray(String[]::new));
    }

    /** The YARN application id that SparkSubmit printed, or null. */
    public static String applicationId(Result submit) {
        Matcher m =
                Pattern.compile("Submitted application (application_\\d+_\\d+)").matcher(submit.stderr());
        return m.find() ? m.group(1) : null;
    }

    /** What the application master's container (the driver in cluster mode) wrote on stdout. */
    public String amStdout(String applicationId) throws IOException {
        return Files.readString(amLog(applicationId, "stdout"));
    }

    /** A log file ("stdout", "stderr") of the application master's container. */
    public Path amLog(String applicationId, String name) throws IOException {
        try (Stream<Path> files = Files.find(
                dir(),
                6,
                (p, a) -> p.getFileName().toString().equals(name)
                        && p.getParent().getFileName().toString().endsWith("_01_000001")
                        && p.toString().contains("/nm-logs/" + applicationId + "/"))) {
            List<Path> found = files.toList();
            if (found.isEmpty()) {
                throw new IOException("no AM container log of " + applicationId + " under " + dir());
            }
            return found.get(0);
        }
    }

    /**
     * The NodeManagers' log lines about containers of an application killed for exceeding their physical memory
     * (exit status -104, KILLED_EXCEEDED_PMEM).
     */
    public List<String> containersKilledForMemory(String applicationId) throws IOException {
        String containers = "container_" + applicationId.substring("application_".length()) + "_";
        List<String> killed = new ArrayList<>();
        try (Stream<Path> logs =
                Files.find(dir(), 2, (p, a) -> p.getFileName().toString().equals("nodemanager.log"))) {
            for (Path log : logs.toList()) {
                for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (l.contains("beyond the 'PHYSICAL' memory limit") && l.contains(containers)) {
                        killed.add(log.getParent().getFileName() + ": " + l);
                    }
                }
            }
        }
        return killed;
    }

    /** A jar of the classes under {@code classes}/{@code packagePath} (e.g. the test bed's own test applications). */
    public static Path jar(Path classes, String packagePath, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        try (OutputStream os = Files.newOutputStream(out);
                JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes.resolve(packagePath))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, jar);
                jar.closeEntry();
            }
        }
        return out;
    }

    private Result check(Result r) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException("testbed failed (" + r.exitCode() + "):\n" + r.stderr() + r.stdout());
        }
        return r;
    }

    static Result run(List<String> cmd, Duration timeout) throws IOException {
        Path out = Files.createTempFile("testbed", ".out");
        Path err = Files.createTempFile("testbed", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // The test JVM pins Spark to loopback; the test bed's processes choose their hosts' addresses.
            pb.environment().remove("SPARK_LOCAL_IP");
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + timeout + "; stderr:\n"
                        + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
