package org.refconv.train;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.cli.ExitCode;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The train job itself, not only its preflight, refuses a bad {@code checkpointIn} (a resnet18 file for
 * {@code --model resnet34}): exit code 2 within 30 s naming the file, and a Spark context that is already running
 * (a driver's) sees no job.
 */
class BadCheckpointExitTest {

    @TempDir
    static Path dir;

    private static Path data;
    private static Path resnet18;

    @BeforeAll
    static void files() throws Exception {
        data = dir.resolve("data");
        Files.createDirectories(data.resolve("train"));
        Files.createDirectories(data.resolve("val"));
        resnet18 = dir.resolve("resnet18.safetensors");
        SafeTensors.write(
                Modules.toStateDict(ModelZoo.create("resnet18", ConvFactory.plain(), 3, 10, 32)),
                resnet18.toString(),
                new Configuration());
    }

    private static String[] args() {
        return TrainArgs.shipped("resnet34", data.toString(), dir.resolve("out").toString())
                .with("checkpointIn", resnet18)
                .with("master", "local[1]")
                .array();
    }

    @Test
    void theJobReturnsBadConfigAndARunningSparkContextSeesNoJob() throws Exception {
        try (SparkSession spark = TestSpark.local("bad-checkpoint", dir.resolve("spark"))) {
            int[] before = spark.sparkContext().statusTracker().getJobIdsForGroup(null);
            long start = System.nanoTime();
            assertEquals(ExitCode.BAD_CONFIG, TrainJob.run(args()));
            assertTrue((System.nanoTime() - start) / 1e9 < 30);
            assertArrayEquals(before, spark.sparkContext().statusTracker().getJobIdsForGroup(null));
            assertEquals(0, spark.sparkContext().statusTracker().getActiveStageIds().length);
        }
    }

    @Test
    void theJobsJvmExitsWithTwoNamingTheFile() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dorg.bytedeco.javacpp.cachedir="
                        + System.getProperty(
                                "org.bytedeco.javacpp.cachedir", System.getProperty("user.home") + "/.javacpp/cache"),
                "-cp",
                System.getProperty("java.class.path")));
        cmd.addAll(TestSpark.jvmFlags());
        cmd.add(TrainJob.class.getName());
        cmd.addAll(List.of(args()));
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("train exited %d in %.1f s (JVM start included)%n", p.exitValue(), seconds);
        assertEquals(2, p.exitValue(), out);
        assertTrue(seconds < 30, "exit after " + seconds + " s");
        assertTrue(out.contains(resnet18.toString()) && out.contains("layer1.2"), out);
        assertTrue(!out.contains("Running Spark version") && !out.contains("SparkContext"), out);
    }
}
