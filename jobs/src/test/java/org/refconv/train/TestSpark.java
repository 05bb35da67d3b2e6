package org.refconv.train;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.SparkSession;

/** Spark driver sessions for the jobs' tests, every address on 127.0.0.1 and without the web UI. */
public final class TestSpark {

    private TestSpark() {}

    /** local[2] in this JVM, its scratch files under {@code localDir}. */
    public static SparkSession local(String appName, Path localDir) {
        return base(appName, "local[2]", localDir).getOrCreate();
    }

    /**
     * A driver on the standalone cluster at {@code master} whose executors are JVMs of one core started from this
     * build: the test class path, the JavaCPP cache, Spark's add-opens flags and passive OpenMP threads.
     */
    public static SparkSession.Builder onCluster(String appName, String master, Path localDir) {
        String javaOpts = "-Dorg.bytedeco.javacpp.cachedir=" + javacppCache() + " " + String.join(" ", jvmFlags());
        return base(appName, master, localDir)
                .config("spark.executor.cores", "1")
                .config("spark.executor.memory", "1536m")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", javaOpts)
                .config("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE")
                .config("spark.executorEnv.OPENBLAS_THREAD_TIMEOUT", "4")
                .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
    }

    /**
     * Spark's own security as conf/spark-standalone.conf turns it on, with the cluster's shared secret: what a
     * driver needs to join a standalone cluster whose master and workers were started with that secret.
     */
    public static java.util.Map<String, Object> authenticated(String secret) {
        return java.util.Map.of(
                "spark.authenticate", "true",
                "spark.authenticate.secret", secret,
                "spark.network.crypto.enabled", "true",
                "spark.io.encryption.enabled", "true");
    }

    /** The value of {@code spark.authenticate.secret} in a Spark properties file. */
    public static String secretIn(Path propertiesFile) throws java.io.IOException {
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(propertiesFile)) {
            p.load(r);
        }
        return p.getProperty("spark.authenticate.secret");
    }

    /**
     * The command that starts {@code mainAndArgs} in a JVM of its own on this build's class path: this JVM's java,
     * the heap given, the JavaCPP cache, Spark's add-opens flags, then {@code jvmOptions}.
     */
    public static List<String> childJvm(String heap, List<String> jvmOptions, List<String> mainAndArgs) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap,
                "-Dorg.bytedeco.javacpp.cachedir=" + javacppCache(),
                "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(jvmFlags());
        cmd.addAll(jvmOptions);
        cmd.addAll(mainAndArgs);
        return cmd;
    }

    /** The add-opens flags Spark needs on Java 17, as this JVM got them from the build (the parent pom's list). */
    public static List<String> jvmFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens")
                        || a.startsWith("--add-modules")
                        || a.startsWith("-Dio.netty")
                        || a.startsWith("-Djdk.reflect"))
                .toList();
    }

    private static String javacppCache() {
        return System.getProperty("org.bytedeco.javacpp.cachedir", System.getProperty("user.home") + "/.javacpp/cache");
    }

    private static SparkSession.Builder base(String appName, String master, Path localDir) {
        return SparkSession.builder()
                .appName(appName)
                .master(master)
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.local.dir", localDir.toString());
    }
}
