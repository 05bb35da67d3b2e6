package org.refconv.retrain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.cli.ExitCode;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.dist.FreePort;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.publish.ModelRegistry;
import org.refconv.publish.PublishConfig;
import org.refconv.publish.PublishResult;
import org.refconv.publish.Publisher;
import org.refconv.publish.TinyPipeline;
import org.refconv.publish.ValidationPass;
import org.refconv.train.Evaluator;
import org.refconv.train.TestSpark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on a real Spark standalone cluster (master + 2 one-core workers on 127.0.0.1, started by
 * deploy/bin/local-cluster) and a real HDFS (MiniDFSCluster), every location hdfs://: prepare -> pretrain ->
 * refocus -> publish with 2 ranks on Fashion-MNIST images; the published file loads back into the Java model and
 * reproduces the card's accuracy; a publish killed midway leaves LATEST intact and loadable.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineClusterTest {

    private static final String REPO = System.getProperty("refconv.repo.root", "..");
    private static Path dir;
    private static MiniDFSCluster dfs;
    private static Configuration conf;
    private static SparkSession spark;
    private static String hdfs;
    private static PipelineConfig pipeline;
    private static PipelineSummary summary;

    @BeforeAll
    static void startHdfsAndCluster() throws Exception {
        dir = TinyPipeline.fresh(Path.of("target", "it-pipeline").toAbsolutePath());
        conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("dfs").toString());
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        FileSystem fs = dfs.getFileSystem();
        hdfs = fs.getUri().toString();
        Path tree = dir.resolve("tree");
        FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, TinyPipeline.PER_CLASS, 90, false));
        fs.copyFromLocalFile(
                new org.apache.hadoop.fs.Path(tree.toUri()), new org.apache.hadoop.fs.Path(hdfs + "/images"));

        String master = localCluster(
                "start",
                "--workers",
                "2",
                "--port",
                String.valueOf(FreePort.find()),
                "--webui-port",
                String.valueOf(FreePort.find()));
        // The cluster runs with Spark's authentication on; its secret is in a file only this user can read.
        spark = TestSpark.onCluster("PipelineClusterTest", master, dir.resolve("spark-local"))
                .config(TestSpark.authenticated(TestSpark.secretIn(dir.resolve("cluster/spark-auth.conf"))))
                .getOrCreate();
    }

    @AfterAll
    static void stop() throws Exception {
        if (spark != null) {
            spark.stop();
        }
        localCluster("stop");
        if (dfs != null) {
            dfs.shutdown();
        }
    }

    @Test
    @Order(1)
    void thePipelinePublishesToHdfsAModelThatLoadsBackAndReproducesItsAccuracy() throws Exception {
        pipeline = PipelineConfig.fromArgs(TinyPipeline.args(hdfs + "/work", hdfs + "/images", hdfs + "/models", "r1"));
        Pipeline.preflight(pipeline, conf);
        summary = new Pipeline(spark).run(pipeline);
        System.out.print(summary);
        PublishResult r = summary.published();
        assertTrue(r.promoted(), r.reason());
        assertTrue(r.versionUri().startsWith("hdfs://"), r.versionUri());
        assertEquals(
                List.of("prepare", "pretrain", "refocus", "publish"),
                List.copyOf(summary.stages().keySet()));
        assertTrue(
                summary.stages().values().stream().allMatch(s -> s.startsWith("done")),
                summary.stages().toString());

        StateDict published = SafeTensors.read(r.versionUri() + "/" + ModelRegistry.MODEL, conf);
        StateDict basis = SafeTensors.read(pipeline.runDir() + "/pretrain/model.safetensors", conf);
        assertEquals(basis.keys(), published.keys());
        Classifier model = ModelZoo.create("cifar_quick", ConvFactory.plain(), 3, 10, 32);
        Modules.load(model, published, true);
        model.eval();
        Evaluator.Scores again = new ValidationPass(pipeline.data() + "/val", 32, 10, 64, 2, conf)
                .run(model, null, null, 0)
                .published();
        assertEquals(10L * TinyPipeline.PER_CLASS, again.images());
        assertEquals(r.top1(), again.top1(), "the published file reproduces the card's top-1");
        assertEquals(r.top5(), again.top5());
        JsonNode card = registry().card("r1");
        assertEquals(r.top1(), card.at("/metrics/top1").asDouble());
    }

    @Test
    @Order(2)
    void aRerunOfTheSameRunIdSkipsEveryStage() throws Exception {
        PipelineSummary rerun = new Pipeline(spark).run(pipeline);
        assertTrue(
                rerun.stages().values().stream().allMatch(s -> s.startsWith("skipped")),
                rerun.stages().toString());
        assertEquals(summary.published().top1(), rerun.published().top1());
    }

    @Test
    @Order(3)
    void killingAPublishMidwayLeavesLatestIntactAndLoadable() throws Exception {
        String run = pipeline.runDir() + "/refocus";
        for (String point : List.of("staged", "committed")) {
            killPublishAt(point, run, "k-" + point);
            assertEquals(Optional.of("r1"), registry().latest(), "killed at " + point);
            StateDict latest = SafeTensors.read(registry().versionUri("r1") + "/" + ModelRegistry.MODEL, conf);
            Modules.load(ModelZoo.create("cifar_quick", ConvFactory.plain(), 3, 10, 32), latest, true);
        }
        assertFalse(registry().exists("k-staged"), "a version killed before its rename does not exist");
        assertTrue(
                tempFolders().stream().anyMatch(n -> n.startsWith(".k-staged.tmp-")),
                tempFolders().toString());
        assertTrue(registry().exists("k-committed"), "renamed into place before the kill: complete");

        // Rerunning the killed publishes: the promotion is finished, the stale temporary folder removed.
        PublishResult committed = new Publisher(conf).publish(publishConfig(run, "k-committed", "gate"));
        assertTrue(committed.alreadyPublished());
        assertEquals(Optional.of("k-committed"), registry().latest());
        PublishResult staged = new Publisher(conf).publish(publishConfig(run, "k-staged", "always"));
        assertTrue(staged.promoted() && !staged.alreadyPublished());
        assertEquals(Optional.of("k-staged"), registry().latest());
        assertEquals(List.of(), tempFolders());
    }

    @Test
    void aBadConfigurationIsRefusedBeforeAnythingStarts() {
        assertEquals(
                ExitCode.BAD_CONFIG,
                PipelineJob.run(TinyPipeline.args(
                        hdfs + "/work", hdfs + "/images", hdfs + "/models", "bad", "--train.batch", "7")));
        assertEquals(
                ExitCode.BAD_CONFIG,
                PipelineJob.run(TinyPipeline.args(hdfs + "/work", hdfs + "/nothing", hdfs + "/models", "bad")));
        assertEquals(
                ExitCode.BAD_CONFIG,
                PipelineJob.run(TinyPipeline.args(
                        hdfs + "/work", hdfs + "/images", hdfs + "/models", "bad", "--refocus.output", "/elsewhere")));
    }

    private static PublishConfig publishConfig(String run, String version, String promote) {
        return PublishConfig.fromArgs(new String[] {
            "--run", run, "--root", hdfs + "/models", "--version", version, "--promote", promote, "--evalBatch", "64"
        });
    }

    /** Runs PublishJob in its own JVM, paused at {@code point}, and kills it there with SIGKILL. */
    private static void killPublishAt(String point, String run, String version) throws Exception {
        List<String> cmd = TestSpark.childJvm(
                "1g",
                List.of("-Drefconv.publish.pauseAt=" + point),
                List.of(
                        "org.refconv.publish.PublishJob",
                        "--run",
                        run,
                        "--root",
                        hdfs + "/models",
                        "--version",
                        version,
                        "--promote",
                        "always",
                        "--evalBatch",
                        "64"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> seen = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.contains("paused at " + point)) {
                seen.add(line);
            }
            assertTrue(line != null, "publish ended without pausing at " + point + ": " + seen);
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }

    private static ModelRegistry registry() throws IOException {
        return new ModelRegistry(hdfs + "/models", "cifar_quick", conf);
    }

    private static List<String> tempFolders() throws IOException {
        FileSystem fs = dfs.getFileSystem();
        return Arrays.stream(
                        fs.listStatus(new org.apache.hadoop.fs.Path(registry().dir())))
                .map(FileStatus::getPath)
                .map(org.apache.hadoop.fs.Path::getName)
                .filter(n -> n.startsWith("."))
                .toList();
    }

    /** Runs deploy/bin/local-cluster; returns its last output line (the master URL for start). */
    private static String localCluster(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", REPO + "/deploy/bin/local-cluster"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--dir", dir.resolve("cluster").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}
