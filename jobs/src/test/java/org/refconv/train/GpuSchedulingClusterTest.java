package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.dist.CollectiveBackend;
import org.refconv.engine.Device;
import org.refconv.publish.TinyPipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU scheduling path without GPUs: workers offer two fake GPUs through a discovery script, tasks ask for one
 * each, and every training task turns its assignment into its own CUDA device and the NCCL backend. (Running on a
 * GPU is not tested: this project has none.)
 */
class GpuSchedulingClusterTest {

    private static LoopbackCluster cluster;
    private static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        Path dir = TinyPipeline.fresh(Path.of("target", "it-gpu").toAbsolutePath());
        Path script = dir.resolve("fake-gpus.sh");
        Files.writeString(script, "#!/usr/bin/env bash\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        cluster = new LoopbackCluster(
                dir.resolve("cluster"),
                2,
                List.of(
                        "-Dspark.worker.resource.gpu.amount=2",
                        "-Dspark.worker.resource.gpu.discoveryScript=" + script));
        spark = cluster.session(
                "refconv-gpu-scheduling",
                Map.<String, Object>of(
                        "spark.executor.resource.gpu.amount",
                        "1",
                        "spark.task.resource.gpu.amount",
                        "1",
                        "spark.stage.maxConsecutiveAttempts",
                        "1")); // the CUDA refusal is deterministic: no retries
    }

    @AfterAll
    static void stop() throws Exception {
        if (cluster != null) { // stops the session, too
            cluster.close();
        }
    }

    @Test
    void eachBarrierTaskGetsItsOwnGpuAndNccl() {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> seen = jsc.parallelize(IntStream.range(0, 2).boxed().toList(), 2)
                .rdd()
                .barrier()
                .mapPartitions(new ResourceProbe(), false, scala.reflect.ClassTag$.MODULE$.apply(String.class))
                .toJavaRDD()
                .collect();
        assertEquals(2, seen.size());
        Set<String> devices = new TreeSet<>();
        for (String s : seen) {
            assertTrue(s.matches("cuda:[01] NCCL@\\d+"), s);
            devices.add(s.substring(0, s.indexOf(' ')) + s.substring(s.indexOf('@')));
        }
        assertEquals(2, devices.size(), "two tasks must not share a (executor, GPU) pair: " + seen);
    }

    @Test
    void trainingOnGpuWithoutCudaFailsClearly() {
        TrainConfig gpu = TrainArgs.fashion(
                        "pretrain",
                        "cifar_quick",
                        "/nonexistent",
                        Path.of("target", "it-gpu", "out")
                                .toAbsolutePath()
                                .toUri()
                                .toString())
                .with("batch", 8)
                .with("ranks", 2)
                .with("device", "gpu")
                .config();
        Exception e = assertThrows(Exception.class, () -> DistributedTraining.run(spark, gpu, 180_000));
        StringBuilder causes = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            causes.append(c.getMessage());
        }
        assertTrue(causes.toString().contains("CUDA is not available"), causes.toString());
    }

    /** What a training task would choose: its device from Spark's assignment, and the collective backend. */
    static final class ResourceProbe
            extends scala.runtime.AbstractFunction1<
                    scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
            implements java.io.Serializable {
        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> ignored) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            Device d = DeviceChoice.forTask("gpu", ctx.resourcesJMap());
            String line = d + " " + CollectiveBackend.forDevice(d) + "@"
                    + ProcessHandle.current().pid();
            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(line).iterator());
        }
    }
}
