package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.DType;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.publish.TinyPipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The train job in bf16 on Spark local[2]: two ranks in one JVM (taking turns at compute, the path where oneDNN's
 * kernel choice once crashed ranks sharing a JVM) on real Fashion-MNIST images. The bf16 ranks end bit-identical,
 * differ from the fp32 run (bf16 was used), and a run resumed in fp32 from the bf16 run's checkpoint continues from
 * its step with fp32 checkpoints.
 */
class MixedPrecisionRunTest {

    private static Path root;
    private static SparkSession spark;
    private static String data;

    @BeforeAll
    static void prepare() throws Exception {
        root = TinyPipeline.fresh(Path.of("target", "it-mixed-precision").toAbsolutePath());
        spark = TestSpark.local("MixedPrecisionRunTest", root.resolve("spark-local"));
        Path tree = root.resolve("fashion-tree");
        TinyPipeline.writeTree(tree);
        data = root.resolve("prepared").toUri().toString();
        TinyPipeline.prepare(spark, tree, data, 16);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** 2 epochs of 3 steps, 2 ranks x batch 4, a checkpoint after each epoch. */
    private static RankTrainer.Result[] train(String output, String precision) throws Exception {
        TrainConfig config = TrainArgs.fashion(
                        "pretrain",
                        "cifar_quick",
                        data,
                        root.resolve(output).toUri().toString())
                .shortRun(2, 8, 2, 3)
                .with("checkpointEvery", 3)
                .with("precision", precision)
                .config();
        RankTrainer.Result[] r = DistributedTraining.run(spark, config, 60_000);
        assertEquals(2, r.length);
        assertEquals(r[0].parameterChecksum(), r[1].parameterChecksum(), precision + ": the ranks diverged");
        assertTrue(Double.isFinite(r[0].lastLoss()), precision + ": loss " + r[0].lastLoss());
        return r;
    }

    @Test
    void bf16RanksSharingAJvmStayIdenticalAndAnFp32RunResumesFromTheirCheckpoint() throws Exception {
        RankTrainer.Result[] fp32 = train("fp32", "fp32");
        RankTrainer.Result[] bf16 = train("bf16", "bf16");
        assertEquals(6, bf16[0].steps());
        assertNotEquals(
                fp32[0].parameterChecksum(), bf16[0].parameterChecksum(), "bf16 must round unlike fp32: was it used?");

        // As if the bf16 run had died after step 3 (mid-run): only that checkpoint survives; it resumes in fp32.
        Path run = root.resolve("bf16");
        Files.delete(run.resolve("checkpoints/step-000000006.safetensors"));
        Files.delete(run.resolve("model.safetensors"));
        RankTrainer.Result[] resumed = train("bf16", "fp32");
        assertEquals(3, resumed[0].resumedFromStep(), "the fp32 run continues from the bf16 checkpoint");
        assertEquals(6, resumed[0].steps());
        assertNotEquals(bf16[0].parameterChecksum(), resumed[0].parameterChecksum(), "steps 4-6 ran in fp32");
        assertNotEquals(fp32[0].parameterChecksum(), resumed[0].parameterChecksum(), "steps 1-3 ran in bf16");
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size(), "one row per epoch");
        for (String file : new String[] {"checkpoints/step-000000003.safetensors", "model.safetensors"}) {
            StateDict saved = SafeTensors.read(run.resolve(file).toUri().toString(), null);
            assertTrue(!saved.entries().isEmpty());
            for (Map.Entry<String, HostTensor> e : saved.entries()) {
                if (e.getValue().dtype() != DType.I64) {
                    assertEquals(DType.F32, e.getValue().dtype(), file + ": " + e.getKey() + " is saved in fp32");
                }
            }
        }
    }
}
