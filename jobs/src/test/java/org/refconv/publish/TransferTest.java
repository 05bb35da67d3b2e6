package org.refconv.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.Checkpoints;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.cli.ExitCode;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.layers.ConvFactory;
import org.refconv.models.Classifier;
import org.refconv.models.ModelZoo;
import org.refconv.train.DistributedTraining;
import org.refconv.train.RankTrainer;
import org.refconv.train.RunConfigFile;
import org.refconv.train.TestSpark;
import org.refconv.train.TrainArgs;
import org.refconv.train.TrainConfig;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Transfer to new classes (issue 27): a torchvision resnet18 {@code .pth} with 1000 classes, written by PyTorch
 * (fixtures/make_transfer_fixtures.py), adapted to a 3-class Fashion-MNIST subset with a new head; the published
 * model loads strictly into {@code torchvision.models.resnet18(num_classes=3)} and gives Java's logits; linear-probe
 * changes nothing but the head.
 */
class TransferTest {

    private static final Configuration CONF = new Configuration();
    private static Path dir;
    private static SparkSession spark;
    private static String data;
    private static String basis;

    @BeforeAll
    static void basisAndData() throws Exception {
        dir = TinyPipeline.fresh(Path.of("target", "it-transfer").toAbsolutePath());
        Path pth = dir.resolve("resnet18-1000.pth");
        Process p = new ProcessBuilder(
                        ReadmeSnippet.PYTHON,
                        ReadmeSnippet.repoRoot()
                                .resolve("fixtures/make_transfer_fixtures.py")
                                .toString(),
                        pth.toString())
                .inheritIO()
                .start();
        assumeTrue(
                p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0,
                "no PyTorch basis: " + ReadmeSnippet.PYTHON + " cannot run fixtures/make_transfer_fixtures.py");
        basis = pth.toString();
        spark = TestSpark.local("TransferTest", dir.resolve("spark-local"));
        Path tree = dir.resolve("tree");
        FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, 8, 8, 95, false, List.of(0, 1, 2)));
        data = dir.resolve("data").toUri().toString();
        TinyPipeline.prepare(spark, tree, data, 8);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static TrainConfig run(String mode, String output) {
        return TrainArgs.run("resnet18", data, output)
                .with("mode", mode)
                .with("numClasses", 3)
                .with("imageSize", 32)
                .with("checkpointIn", basis)
                .with("augment", "cifar")
                .shortRun(1, 6, 1, 2)
                .with("threadsPerRank", 2)
                .config();
    }

    @Test
    void aRefocusedResnet18WithANewHeadIsPublishedAndLoadsIntoTorchvisionWithThreeClasses() throws Exception {
        String out = dir.resolve("refocus").toUri().toString();
        RankTrainer.Result[] r = DistributedTraining.run(spark, run("refocus", out), 60_000);
        assertEquals(2, r[0].steps());
        assertTrue(Double.isFinite(r[0].lastLoss()), "trained: loss " + r[0].lastLoss());

        String root = dir.resolve("models").toUri().toString();
        PublishConfig pc = PublishConfig.fromArgs(new String[] {
            "--run", out, "--root", root, "--version", "v1", "--evalBatch", "12", "--promote", "always"
        });
        assertEquals(ExitCode.OK, PublishJob.run(pc, CONF));
        ModelRegistry registry = new ModelRegistry(root, "resnet18", CONF);
        JsonNode card = registry.card("v1");
        assertEquals(3, card.at("/architecture/numClasses").asInt());
        assertEquals(List.of("fc"), List.of(card.at("/architecture/newLayers/0").asText()));
        assertEquals(1, card.at("/architecture/newLayers").size());
        assertEquals(3, card.at("/classes").size(), card.at("/classes").toString());
        assertEquals(32, card.at("/preprocessing/resizeShorterSide").asInt(), "cifar's evaluation: no 8/7 resize");
        assertTrue(card.at("/metrics/baselineTop1").isMissingNode(), "a 1000-class basis has no score here");

        StateDict published = SafeTensors.read(registry.versionUri("v1") + "/model.safetensors", CONF);
        assertArrayEquals(new long[] {3, 512}, published.get("fc.weight").shape());
        StateDict original = Checkpoints.read(basis, CONF);
        assertEquals(original.keys(), published.keys(), "torchvision's keys, in order");
        assertNotEquals(original.get("conv1.weight"), published.get("conv1.weight"), "refocused: Wt, not Wb");

        // PyTorch loads it strictly into torchvision.models.resnet18(num_classes=3): same logits as Java.
        Classifier plain = RunModels.plainModel(RunConfigFile.read(out, CONF));
        Modules.load(plain, published, true);
        plain.eval();
        ReadmeSnippet.assertLoadsAndMatches(root, "resnet18", plain);
    }

    @Test
    void linearProbeChangesOnlyTheHead() throws Exception {
        String out = dir.resolve("linear-probe").toUri().toString();
        RankTrainer.Result[] r = DistributedTraining.run(spark, run("linear-probe", out), 60_000);
        assertEquals(2, r[0].steps());
        StateDict before = Checkpoints.read(basis, CONF);
        StateDict after = SafeTensors.read(r[0].model(), CONF);
        for (String k : after.keys()) {
            if (k.startsWith("fc.")) {
                assertArrayEquals(new long[] {3, 512}, after.get("fc.weight").shape());
            } else {
                // Bit-equal, BatchNorm running statistics and num_batches_tracked included.
                assertEquals(before.get(k), after.get(k), k);
            }
        }
        // The head did train: it left the init every rank started from (the run's seed, 0).
        Engine.manualSeed(0);
        StateDict init = Modules.toStateDict(ModelZoo.create("resnet18", ConvFactory.plain(), 3, 3, 32));
        assertNotEquals(init.get("fc.weight"), after.get("fc.weight"));
        assertEquals(init.get("layer1.0.conv1.weight").shape().length, 4);
        assertNotEquals(init.get("layer1.0.conv1.weight"), after.get("layer1.0.conv1.weight"), "the basis' backbone");
        assertTrue(Files.exists(Path.of(java.net.URI.create(out)).resolve("model.safetensors")));
    }
}
