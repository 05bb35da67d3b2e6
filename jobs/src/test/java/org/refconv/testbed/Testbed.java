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

    /** Starts again whatever a fault stopped (testbed up is idempotent: killed daemons, a host's link). */
    public Result heal() throws IOException {
        return up(SharedTestbed.HOSTS);
    }

    /** Every container log file {@code name} ("stdout", "stderr") of a YARN application, on every host. */
    public List<Path> containerLogs(String applicationId, String name) throws IOException {
        return logs(6, "/nm-logs/" + applicationId + "/", name);
    }

    /** Every executor log file {@code name} of a standalone application ({@code app-...}), on every worker host. */
    public List<Path> standaloneExecutorLogs(String appId, String name) throws IOException {
        return logs(5, "/spark-work/" + appId + "/", name);
    }

    /** Files named {@code name} under the test bed's folder, at most {@code depth} deep, in a folder {@code under}. */
    private List<Path> logs(int depth, String under, String name) throws IOException {
        try (Stream<Path> files = Files.find(
                dir(),
                depth,
                (p, a) ->
                        p.getFileName().toString().equals(name) && p.toString().contains(under))) {
            return files.sorted().toList();
        }
    }

    /** The test bed host ("h1") whose state folder holds {@code file}. */
    public String hostOf(Path file) {
        return dir().relativize(file).getName(0).toString();
    }

    /**
     * The ranks' own lines "rank R/W [of attempt A] on ADDRESS, store at ..." in the given executor stdout files: for each line,
     * "R ADDRESS HOST" with HOST the test bed host whose logs hold it.
     */
    public List<String> rankLines(List<Path> stdouts) throws IOException {
        Pattern rank = Pattern.compile("^rank (\\d+)/\\d+ (?:of attempt \\S+ )?on (\\S+), store at");
        List<String> out = new ArrayList<>();
        for (Path f : stdouts) {
            for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                Matcher m = rank.matcher(l);
                if (m.find()) {
                    out.add(m.group(1) + " " + m.group(2) + " " + hostOf(f));
                }
            }
        }
        return out;
    }

    /**
     * The files of an HDFS folder with their modification times (ms since the epoch; WebHDFS LISTSTATUS from h0, no
     * JVM started), in name order; empty when the folder does not exist.
     */
    public java.util.SortedMap<String, Long> list(String hdfsPath) throws IOException {
        Result r = script(
                "exec",
                "h0",
                "curl",
                "-sf",
                "--max-time",
                "10",
                "http://h0:9870/webhdfs/v1" + hdfsPath + "?op=LISTSTATUS");
        java.util.SortedMap<String, Long> files = new java.util.TreeMap<>();
        if (r.exitCode() != 0 || r.stdout().isBlank()) {
            return files;
        }
        com.fasterxml.jackson.databind.JsonNode statuses = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.stdout())
                .at("/FileStatuses/FileStatus");
        for (com.fasterxml.jackson.databind.JsonNode f : statuses) {
            files.put(f.get("pathSuffix").asText(), f.get("modificationTime").asLong());
        }
        return files;
    }

    /** Copies an HDFS path (file or folder) to the local {@code target} (hdfs dfs -get on h0, which no fault kills). */
    public void get(String hdfsPath, Path target) throws IOException {
        check(script("fs", "h0", "-get", "-f", hdfsPath, target.toString()));
    }

    /**
     * The executor containers of a YARN application as its application master saw them: the containers it launched,
     * and the YARN exit status the ResourceManager reported for each that completed while the application ran (-104
     * killed for exceeding physical memory, -105 virtual memory, -100 its node lost, 0 or 143 ended on request).
     */
    public record Containers(List<String> launched, java.util.Map<String, Integer> exitStatus) {
        /** The completed containers whose status says YARN killed them for memory. */
        public List<String> killedForMemory() {
            return exitStatus.entrySet().stream()
                    .filter(e -> e.getValue() == -104 || e.getValue() == -105)
                    .map(e -> e.getKey() + " exit status " + e.getValue())
                    .toList();
        }
    }

    public Containers containers(String applicationId) throws IOException {
        String am = Files.readString(amLog(applicationId, "stderr"));
        List<String> launched = new ArrayList<>();
        Matcher l =
                Pattern.compile("Launching container (container_\\S+) on host").matcher(am);
        while (l.find()) {
            launched.add(l.group(1));
        }
        java.util.Map<String, Integer> status = new java.util.TreeMap<>();
        Matcher c = Pattern.compile("Completed container (container_[0-9_e]+).*?exit status: (-?\\d+)")
                .matcher(am);
        while (c.find()) {
            status.put(c.group(1), Integer.parseInt(c.group(2)));
        }
        if (!am.contains("ApplicationMaster")) {
            throw new IOException("not an application master's log: " + amLog(applicationId, "stderr"));
        }
        return new Containers(launched, status);
    }

    /** An application's report from the ResourceManager's REST API (JSON), e.g. its finalStatus and diagnostics. */
    public String applicationReport(String applicationId) throws IOException {
        return check(script(
                        "exec",
                        "h0",
                        "curl",
                        "-sf",
                        "--max-time",
                        "10",
                        "http://h0:8088/ws/v1/cluster/apps/" + applicationId))
                .stdout();
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
        return run(cmd, timeout, java.util.Map.of());
    }

    /** SparkSubmit on h0 with a driver JVM of {@code heap} (client deploy mode runs the driver there). */
    public Result submit(String heap, List<String> args) throws IOException {
        return submit(args, java.util.Map.of("REFCONV_DRIVER_JAVA_OPTS", "-Xmx" + heap));
    }

    /** SparkSubmit on h0 with more environment (e.g. REFCONV_SPARK_SECRET_FILE empty: without the secret). */
    public Result submit(List<String> args, java.util.Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(
                List.of("bash", repo.resolve("deploy/bin/testbed").toString(), "submit"));
        cmd.addAll(args);
        return run(cmd, timeout, env);
    }

    /** The standalone cluster's shared secret (spark.authenticate.secret in the test bed's private file). */
    public String sparkSecret() throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = Files.newBufferedReader(dir().resolve("spark-auth.conf"))) {
            p.load(r);
        }
        return p.getProperty("spark.authenticate.secret");
    }

    /**
     * The newest application folder ({@code application_...} under a NodeManager's logs, or a standalone worker's
     * {@code app-...}) made at or after {@code sinceMillis}, or null: the id of an application still running.
     */
    public String newestApplication(String prefix, long sinceMillis) throws IOException {
        String newest = null;
        try (Stream<Path> dirs = Files.find(
                dir(),
                3,
                (p, a) -> a.isDirectory()
                        && p.getFileName().toString().startsWith(prefix)
                        && a.lastModifiedTime().toMillis() >= sinceMillis - 1000)) {
            for (Path d : dirs.toList()) {
                String name = d.getFileName().toString();
                if (newest == null || name.compareTo(newest) > 0) {
                    newest = name;
                }
            }
        }
        return newest;
    }

    static Result run(List<String> cmd, Duration timeout, java.util.Map<String, String> env) throws IOException {
        Path out = Files.createTempFile("testbed", ".out");
        Path err = Files.createTempFile("testbed", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            // The test JVM pins Spark to loopback; the test bed's processes choose their hosts' addresses.
            pb.environment().remove("SPARK_LOCAL_IP");
            pb.environment().putAll(env);
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
