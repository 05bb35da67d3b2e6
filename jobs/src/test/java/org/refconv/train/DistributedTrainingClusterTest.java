package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.publish.TinyPipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The train job on a real standalone Spark cluster (master + 2 one-core workers on 127.0.0.1, separate JVMs), with
 * 2 ranks on real images (Fashion-MNIST from Debian, prepared by the prepare job): pretrain, resume, refocus.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedTrainingClusterTest {

    private static Path root;
    private static LoopbackCluster cluster;
    private static SparkSession spark;
    private static String data;
    private static String uninterruptedChecksum;

    @BeforeAll
    static void startClusterAndPrepareData() throws Exception {
        // Fresh on every run: checkpoints left by an earlier run would be resumed (or refused), not retrained.
        root = TinyPipeline.fresh(Path.of("target", "it-train").toAbsolutePath());
        cluster = new LoopbackCluster(root.resolve("cluster"), 2);
        spark = cluster.session("refconv-train-it");
        Path tree = root.resolve("fashion-tree");
        FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, 12, 90, true));
        data = root.resolve("prepared").toUri().toString();
        TinyPipeline.prepare(spark, tree, data, 16);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) { // stops the session, too
            cluster.close();
        }
    }

    private static TrainConfig config(String mode, String output, int epochs, String checkpointIn) {
        return TrainArgs.fashion(mode, "cifar_quick", data, output)
                .shortRun(epochs, 8, 2, 3)
                .with("checkpointEvery", 2)
                .with("keepCheckpoints", 2)
                .with("checkpointIn", checkpointIn)
                .config();
    }

    @Test
    @Order(1)
    void pretrainKeepsRanksIdenticalAndWritesCheckpointsMetricsAndModel() throws Exception {
        String out = root.resolve("pretrain").toUri().toString();
        RankTrainer.Result[] r = DistributedTraining.run(spark, config("pretrain", out, 2, ""), 60_000);
        assertEquals(2, r.length);
        assertEquals(6, r[0].steps());
        assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum(), "parameters differ between ranks");
        assertEquals(r[0].top1(), r[1].top1(), "both ranks report the same summed evaluation");
        List<String> metrics = Files.readAllLines(root.resolve("pretrain/metrics.jsonl"));
        assertEquals(2, metrics.size(), metrics.toString());
        assertTrue(Files.size(root.resolve("pretrain/curves.png")) > 1000);
        assertEquals(List.of(4L, 6L), new TrainCheckpoints(out, new Configuration()).steps(), "the newest 2 kept");
        StateDict model = SafeTensors.read(r[0].model(), null);
        assertTrue(model.contains("conv1.weight") && model.contains("fc2.bias"));
        uninterruptedChecksum = r[0].parameterChecksum();
    }

    @Test
    @Order(2)
    void aRerunResumesFromTheNewestCheckpointAndARunWithAnotherConfigIsRefused() throws Exception {
        // As if the run had died after step 4 (mid-epoch 2): only the step-4 snapshot survives.
        String out = root.resolve("pretrain").toUri().toString();
        Files.delete(root.resolve("pretrain/checkpoints/step-000000006.safetensors"));
        Files.delete(root.resolve("pretrain/model.safetensors"));
        RankTrainer.Result[] r = DistributedTraining.run(spark, config("pretrain", out, 2, ""), 60_000);
        assertEquals(4, r[0].resumedFromStep());
        assertEquals(6, r[0].steps());
        assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum());
        assertEquals(
                uninterruptedChecksum,
                r[0].parameterChecksum(),
                "resumed run must end with exactly the uninterrupted run's parameters");
        assertEquals(
                2, Files.readAllLines(root.resolve("pretrain/metrics.jsonl")).size());

        TrainConfig other = TrainArgs.fashion("pretrain", "cifar_quick", data, out)
                .shortRun(3, 8, 2, 3)
                .with("lr", "0.5")
                .config();
        Exception e = assertThrows(Exception.class, () -> DistributedTraining.run(spark, other, 60_000));
        assertTrue(rootCause(e).contains("another configuration"), rootCause(e));
    }

    @Test
    @Order(3)
    void refocusTrainsFromThePretrainedBasis() throws Exception {
        String basis = root.resolve("pretrain/model.safetensors").toUri().toString();
        String out = root.resolve("refocus").toUri().toString();
        RankTrainer.Result[] r = DistributedTraining.run(spark, config("refocus", out, 1, basis), 60_000);
        assertEquals(3, r[0].steps());
        assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum());
        StateDict model = SafeTensors.read(r[0].model(), null);
        assertTrue(model.contains("conv2.convmap.weight"), "the refocused model keeps its Wr");
        StateDict pretrained = SafeTensors.read(basis, null);
        assertEquals(pretrained.get("conv2.weight"), model.get("conv2.weight"), "the basis stayed frozen");
    }

    @Test
    @Order(4)
    void losingAnExecutorMidRunRetriesTheStageFromTheLastCheckpoint() throws Exception {
        String out = root.resolve("fault").toUri().toString();
        TrainConfig c = config("pretrain", out, 4, "");
        TrainCheckpoints checkpoints = new TrainCheckpoints(out, new Configuration());
        java.util.concurrent.ExecutorService driver = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<RankTrainer.Result[]> run =
                    driver.submit(() -> DistributedTraining.run(spark, c, 120_000));
            long deadline = System.currentTimeMillis() + 180_000;
            while (checkpoints.steps().isEmpty() && !run.isDone()) {
                assertTrue(System.currentTimeMillis() < deadline, "no checkpoint appeared");
                Thread.sleep(200);
            }
            List<Long> executors = cluster.executorPids();
            assertTrue(!executors.isEmpty(), "no executor JVM found");
            ProcessHandle.of(executors.get(0)).orElseThrow().destroyForcibly();
            RankTrainer.Result[] r = run.get(5, java.util.concurrent.TimeUnit.MINUTES);
            assertEquals(12, r[0].steps());
            assertTrue(r[0].resumedFromStep() >= 2, "resumed from " + r[0].resumedFromStep());
            assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum());
        } finally {
            driver.shutdownNow();
        }
    }

    @Test
    @Order(5)
    void moreRanksThanSlotsIsRefusedBeforeAnyStageStarts() {
        int jobsBefore = spark.sparkContext().statusTracker().getJobIdsForGroup(null).length;
        TrainConfig tooMany = TrainArgs.fashion(
                        "pretrain",
                        "cifar_quick",
                        data,
                        root.resolve("refused").toUri().toString())
                .with("batch", 9)
                .with("ranks", 3)
                .config();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> DistributedTraining.run(spark, tooMany, 2_000));
        assertTrue(e.getMessage().contains("ranks = 3") && e.getMessage().contains("task slots"), e.getMessage());
        assertEquals(
                jobsBefore,
                spark.sparkContext().statusTracker().getJobIdsForGroup(null).length,
                "no Spark job may start");
    }

    private static String rootCause(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
