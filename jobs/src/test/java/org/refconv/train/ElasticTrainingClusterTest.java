package org.refconv.train;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.publish.TinyPipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on a real standalone cluster (master + 2 one-core workers on 127.0.0.1): a frozen executor, a worker lost
 * for good (the run resizes to 1 executor), a worker that comes back (the run grows back to 2), a damaged row group.
 * Every run that finishes must end with the parameters of the uninterrupted 2-rank run (cifar_quick: no BatchNorm).
 * The recovery times are printed ("RECOVERY ...") for docs/faults.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ElasticTrainingClusterTest {

    private static final int PEER_TIMEOUT = 20;
    private static final int STEPS = 30;

    private static Path root;
    private static LoopbackCluster cluster;
    private static SparkSession spark;
    private static String data;
    private static StateDict reference;

    @BeforeAll
    static void startClusterAndPrepareData() throws Exception {
        root = TinyPipeline.fresh(Path.of("target", "it-elastic").toAbsolutePath());
        cluster = new LoopbackCluster(root.resolve("cluster"), 2);
        // Heartbeats every 2 s (Spark's default: 10 s) so that a 15 s peerTimeout can tell a silent executor.
        spark = cluster.session("refconv-elastic-it", Map.of("spark.executor.heartbeatInterval", "2s"));
        Path tree = root.resolve("fashion-tree");
        FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, 24, 12, 90, true));
        data = root.resolve("prepared").toUri().toString();
        TinyPipeline.prepare(spark, tree, data, 16);
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** 3 epochs x 10 steps of 2 ranks x 8 images at 64 px (slow enough to be interrupted mid-run). */
    private static TrainArgs run(String name) {
        return TrainArgs.fashion("pretrain", "cifar_quick", data, out(name))
                .shortRun(3, 16, 2, STEPS / 3)
                .with("imageSize", 64)
                .with("checkpointEvery", 3)
                .with("keepCheckpoints", 2)
                .with("peerTimeout", PEER_TIMEOUT)
                .with("resizeGrace", 3);
    }

    private static String out(String name) {
        return root.resolve(name).toUri().toString();
    }

    @Test
    @Order(1)
    void uninterruptedReference() throws Exception {
        long start = System.nanoTime();
        RankTrainer.Result[] r = DistributedTraining.run(spark, run("reference").config(), 60_000);
        System.out.printf("RECOVERY reference run: %.1f s%n", (System.nanoTime() - start) / 1e9);
        assertEquals(STEPS, r[0].steps());
        reference = SafeTensors.read(r[0].model(), null);
    }

    /**
     * The frozen executor is killed and replaced; its peer fails once the frozen JVM's sockets close and, warm, trains
     * both logical ranks (minRanks 1) until the replacement has joined (the run may grow back at a checkpoint).
     */
    @Test
    @Order(2)
    void aFrozenExecutorIsReplacedWithinThreePeerTimeouts() throws Exception {
        String name = "frozen";
        try (Background bg = new Background(run(name).with("minRanks", 1).config())) {
            bg.awaitFirstCheckpoint(name);
            long pid = cluster.executorPids().get(0);
            long stopped = System.nanoTime();
            signal("STOP", pid);
            try {
                double seconds = awaitTrainingIn(name, "2.0", stopped);
                System.out.printf("RECOVERY frozen executor: training again after %.1f s%n", seconds);
                assertTrue(seconds < 3 * PEER_TIMEOUT, "training again only after " + seconds + " s");
                RankTrainer.Result[] r = bg.result();
                assertEquals(STEPS, r[0].steps());
                assertSameParameters(r[0]);
            } finally {
                signal("KILL", pid); // never continued; gone in any case
            }
        }
    }

    @Test
    @Order(3)
    void aLostWorkerWithoutSpareResizesToOneExecutorAndEndsWithTheSameParameters() throws Exception {
        String name = "lost-worker";
        try (Background bg = new Background(run(name).with("minRanks", 1).config())) {
            bg.awaitFirstCheckpoint(name);
            long killed = System.nanoTime();
            cluster.killWorker(1);
            double seconds = awaitTrainingIn(name, "2.0", killed);
            System.out.printf("RECOVERY lost worker, resized to 1 executor: training again after %.1f s%n", seconds);
            RankTrainer.Result[] r = bg.result();
            assertEquals(1, r.length, "one executor trained both logical ranks");
            assertEquals(STEPS, r[0].steps());
            assertSameParameters(r[0]);
            List<String> resizes = resizes(name);
            assertEquals(1, resizes.size(), resizes.toString());
            assertTrue(
                    resizes.get(0).contains("\"executors\":1") && resizes.get(0).contains("\"attempt\":\"2.0\""));
        }
    }

    @Test
    @Order(4)
    void whenTheWorkerComesBackTheRunGrowsBackToTwoExecutors() throws Exception {
        String name = "grow";
        // Worker 1 is still gone: the run starts on one executor after resizeGrace while the worker starts again
        // (tens of seconds on a busy machine, hence a longer run).
        cluster.restartWorker(1);
        int steps = 80;
        try (Background bg =
                new Background(run(name).with("minRanks", 1).with("epochs", 8).config())) {
            RankTrainer.Result[] r = bg.result();
            assertEquals(2, r.length, "the last attempt ran on two executors");
            assertEquals(steps, r[0].steps());
            assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum());
            List<String> resizes = resizes(name);
            assertEquals(2, resizes.size(), resizes.toString());
            assertTrue(resizes.get(0).contains("\"executors\":1"), resizes.get(0));
            assertTrue(
                    resizes.get(1).contains("\"executors\":2") && resizes.get(1).contains("came back"), resizes.get(1));
            long step = Long.parseLong(resizes.get(1).replaceAll(".*\"step\":(\\d+).*", "$1"));
            // A checkpoint: every 3 steps, or an epoch's end (10 steps each).
            assertTrue((step % 3 == 0 || step % 10 == 0) && step > 0 && step < steps, "grew back at step " + step);
        }
    }

    @Test
    @Order(5)
    void aDamagedRowGroupFailsTheRunAtOnceNamingFileAndRowGroup() throws Exception {
        Path copy = root.resolve("damaged");
        copyTree(Path.of(java.net.URI.create(data)), copy);
        Path shard;
        try (Stream<Path> files = Files.list(copy.resolve("train"))) {
            shard = files.filter(p -> p.getFileName().toString().endsWith(".parquet"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
        }
        damageFirstRowGroup(shard);
        TrainConfig c = run("damaged-run").with("data", copy.toUri().toString()).config();
        TrainJob.preflight(c, new Configuration()); // the footers are fine: only reading the rows tells
        long start = System.nanoTime();
        Exception e = assertThrows(Exception.class, () -> DistributedTraining.run(spark, c, 60_000));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("RECOVERY damaged row group: failed after %.1f s%n", seconds);
        assertTrue(
                e.getMessage().contains(shard.getFileName().toString())
                        && e.getMessage().contains("row group 0"),
                e.getMessage());
        assertTrue(e.getMessage().contains("recurs on every retry"), e.getMessage());
        assertEquals("1.0", Files.readString(root.resolve("damaged-run/_attempt")), "no second attempt");
    }

    /** A training run on a driver thread of its own, so that the test can hurt the cluster meanwhile. */
    private static final class Background implements AutoCloseable {
        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final Future<RankTrainer.Result[]> result;

        Background(TrainConfig config) {
            result = thread.submit(() -> DistributedTraining.run(spark, config, 120_000));
        }

        void awaitFirstCheckpoint(String name) throws Exception {
            TrainCheckpoints checkpoints = new TrainCheckpoints(out(name), new Configuration());
            long deadline = System.currentTimeMillis() + 180_000;
            while (checkpoints.steps().isEmpty()) {
                assertTrue(!result.isDone() && System.currentTimeMillis() < deadline, "no checkpoint appeared");
                Thread.sleep(50);
            }
        }

        RankTrainer.Result[] result() throws Exception {
            return result.get(5, TimeUnit.MINUTES);
        }

        @Override
        public void close() {
            thread.shutdownNow();
        }
    }

    /**
     * Seconds from {@code since} until attempt {@code attempt} reports a trained step (rank 0's progress file, written
     * at its first step, after the attempt file).
     */
    private static double awaitTrainingIn(String name, String attempt, long since) throws Exception {
        Path attemptFile = root.resolve(name).resolve("_attempt");
        Path progress = root.resolve(name).resolve("_progress.json");
        long deadline = System.currentTimeMillis() + 240_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(attemptFile)
                    && Files.readString(attemptFile).strip().equals(attempt)
                    && Files.exists(progress)
                    && Files.getLastModifiedTime(progress).compareTo(Files.getLastModifiedTime(attemptFile)) > 0) {
                return (System.nanoTime() - since) / 1e9;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("attempt " + attempt + " never trained");
    }

    private static void assertSameParameters(RankTrainer.Result r) throws Exception {
        StateDict got = SafeTensors.read(r.model(), null);
        double worst = 0;
        for (Map.Entry<String, HostTensor> e : reference.entries()) {
            float[] want = e.getValue().toFloatArray();
            float[] have = got.get(e.getKey()).toFloatArray();
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(want[i] - have[i]));
            }
        }
        assertTrue(worst < 1e-5, "parameters differ from the uninterrupted run's by " + worst);
    }

    private static List<String> resizes(String name) throws Exception {
        return Files.readAllLines(root.resolve(name).resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"event\":\"resize\""))
                .toList();
    }

    private static void signal(String signal, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + signal, String.valueOf(pid)).start().waitFor();
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".crc")) {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Overwrites the first page header of the shard's first row group (no .crc beside it tells). */
    private static void damageFirstRowGroup(Path shard) throws Exception {
        long start;
        try (ParquetFileReader reader = ParquetFileReader.open(
                HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(shard.toUri()), new Configuration()))) {
            start = reader.getRowGroups().get(0).getColumns().get(0).getStartingPos();
        }
        try (RandomAccessFile raf = new RandomAccessFile(shard.toFile(), "rw")) {
            raf.seek(start);
            raf.write(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
        }
    }
}
