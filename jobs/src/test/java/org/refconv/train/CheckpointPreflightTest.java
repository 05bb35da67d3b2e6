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
import org.refconv.config.ConfigException;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad {@code checkpointIn} is refused on the driver, before Spark: each case fails the train job's preflight with a
 * message naming the file, within seconds, and no SparkContext is ever made. The job itself (its own JVM) exits with
 * 2, and a Spark context that is already running (a driver's) sees no job.
 */
class CheckpointPreflightTest {

    private static final Path FIXTURES = Path.of(
            System.getProperty("refconv.repo.root", ".."), "refconv-layers/src/test/resources/fixtures/checkpoint");
    private static final Configuration CONF = new Configuration();

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
                CONF);
    }

    private static TrainConfig config(String model, Path checkpoint, String... more) {
        return TrainArgs.shipped(model, data.toString(), dir.resolve("out").toString())
                .with("checkpointIn", checkpoint)
                .and(more)
                .config();
    }

    /** Runs the preflight, which must refuse within 30 s naming the file; returns the message. */
    private static String refused(String model, Path checkpoint, String... more) {
        long start = System.nanoTime();
        ConfigException e =
                assertThrows(ConfigException.class, () -> TrainJob.preflight(config(model, checkpoint, more), CONF));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 30, "refused after " + seconds + " s");
        System.out.printf("REFUSED %s in %.2f s%n", checkpoint.getFileName(), seconds);
        assertTrue(e.getMessage().contains(checkpoint.toString()), e.getMessage());
        assertTrue(SparkSession.getDefaultSession().isEmpty(), "no Spark session, so no job, may be made");
        return e.getMessage();
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsAMismatchNamingTheKeys() {
        String m = refused("resnet34", resnet18);
        assertTrue(m.contains("layer1.2"), m); // resnet34 has three blocks in layer1, resnet18 two
        // The same file for its own architecture passes.
        ModelBuilder.checkCheckpointIn(config("resnet18", resnet18), CONF);
    }

    /**
     * Another class count: head auto (the default) and new accept the file with a new head, for every mode that
     * starts from a basis; head keep refuses it as before; a file of another architecture stays refused.
     */
    @Test
    void aHeadOfAnotherClassCountIsNewUnderAutoAndRefusedUnderKeep() {
        for (String mode : List.of("refocus", "rep-adapter", "retrain", "finetune", "linear-probe")) {
            ModelBuilder.checkCheckpointIn(config("resnet18", resnet18, "--numClasses", "3", "--mode", mode), CONF);
        }
        ModelBuilder.checkCheckpointIn(config("resnet18", resnet18, "--numClasses", "3", "--head", "new"), CONF);
        String keep = refused("resnet18", resnet18, "--numClasses", "3", "--head", "keep");
        assertTrue(keep.contains("fc.weight: checkpoint [10, 512] vs model [3, 512]"), keep);
        for (String head : List.of("auto", "new")) {
            String other = refused("resnet34", resnet18, "--numClasses", "3", "--head", head);
            assertTrue(other.contains("layer1.2"), other);
        }
    }

    @Test
    void unreadableFilesAreRefused() throws Exception {
        Path truncated = dir.resolve("truncated.safetensors");
        byte[] whole = Files.readAllBytes(resnet18);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length / 2));
        for (Path bad : List.of(
                truncated,
                FIXTURES.resolve("malicious_os_system.pth"),
                FIXTURES.resolve("malicious_eval.pth"),
                Files.createDirectories(dir.resolve("a-directory.safetensors")))) {
            refused("resnet18", bad);
        }
        String missing = assertThrows(
                        ConfigException.class,
                        () -> TrainJob.preflight(config("resnet18", dir.resolve("missing.pth")), CONF))
                .getMessage();
        assertTrue(missing.contains("missing.pth") && missing.contains("does not exist"), missing);
    }

    private static String[] resnet34FromResnet18() {
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
            assertEquals(ExitCode.BAD_CONFIG, TrainJob.run(resnet34FromResnet18()));
            assertTrue((System.nanoTime() - start) / 1e9 < 30);
            assertArrayEquals(before, spark.sparkContext().statusTracker().getJobIdsForGroup(null));
            assertEquals(0, spark.sparkContext().statusTracker().getActiveStageIds().length);
        }
    }

    @Test
    void theJobsJvmExitsWithTwoNamingTheFile() throws Exception {
        List<String> job = new ArrayList<>(List.of(TrainJob.class.getName()));
        job.addAll(List.of(resnet34FromResnet18()));
        List<String> cmd = TestSpark.childJvm("1g", List.of(), job);
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
