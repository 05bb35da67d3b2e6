package org.refconv.publish;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.cli.ExitCode;
import org.refconv.config.ConfigException;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;
import org.refconv.models.Classifier;
import org.refconv.retrain.Pipeline;
import org.refconv.retrain.PipelineConfig;
import org.refconv.train.DistributedTraining;
import org.refconv.train.RunConfigFile;
import org.refconv.train.RunLayout;
import org.refconv.train.TestSpark;
import org.refconv.train.TrainArgs;
import org.refconv.train.TrainConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The publish job on local files, over real (tiny) runs: a pretrain run and a refocus run made by the pipeline on
 * local Spark with 2 ranks on Fashion-MNIST images.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublishTest {

    private static final Configuration CONF = new Configuration();
    private static Path dir;
    private static SparkSession spark;
    private static String run;
    private static String root;

    @BeforeAll
    static void makeRuns() throws Exception {
        dir = TinyPipeline.fresh(Path.of("target", "it-publish").toAbsolutePath());
        spark = TestSpark.local("PublishTest", dir.resolve("spark-local"));
        String work = dir.resolve("runs").toUri().toString();
        TinyPipeline.writeTree(dir.resolve("tree"));
        PipelineConfig pipeline = PipelineConfig.fromArgs(TinyPipeline.args(
                work,
                dir.resolve("tree").toString(),
                dir.resolve("scratch-models").toUri().toString(),
                "base",
                "--publish.promote",
                "never"));
        new Pipeline(spark).run(pipeline);
        run = pipeline.runDir();
        root = dir.resolve("models").toUri().toString();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static PublishConfig config(String runDir, String version, String... more) {
        List<String> a =
                new ArrayList<>(List.of("--run", runDir, "--root", root, "--version", version, "--evalBatch", "64"));
        a.addAll(List.of(more));
        return PublishConfig.fromArgs(a.toArray(String[]::new));
    }

    private static ModelRegistry registry() throws Exception {
        return new ModelRegistry(root, "cifar_quick", CONF);
    }

    @Test
    @Order(1)
    void aPretrainRunIsPublishedAsItIsAndTheFirstVersionBecomesLatest() throws Exception {
        assertEquals(ExitCode.OK, PublishJob.run(config(run + "/pretrain", "v1"), CONF));
        assertEquals(Optional.of("v1"), registry().latest());
        JsonNode card = registry().card("v1");
        assertTrue(card.at("/architecture/reparameterized").asText().startsWith("no"), card.toString());
        assertEquals("first version of this model", card.at("/promotion/reason").asText());
        StateDict trained = SafeTensors.read(run + "/pretrain/model.safetensors", CONF);
        StateDict published = SafeTensors.read(registry().versionUri("v1") + "/model.safetensors", CONF);
        assertEquals(trained.keys(), published.keys());
        for (String k : trained.keys()) {
            assertEquals(trained.get(k), published.get(k), k);
        }
        assertEquals(120, card.at("/metrics/images").asLong(), "the whole validation split, nothing dropped");
        // The card vouches for the published file: its digest as coreutils computes it.
        Process sum = new ProcessBuilder(
                        "sha256sum",
                        new org.apache.hadoop.fs.Path(registry().versionUri("v1") + "/model.safetensors")
                                .toUri()
                                .getPath())
                .start();
        String expected = new String(sum.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII)
                .substring(0, 64);
        assertEquals(0, sum.waitFor());
        assertEquals(expected, card.at("/model/sha256").asText(), card.toString());
    }

    @Test
    @Order(2)
    void aRefocusRunIsFoldedIntoTheBasisKeysAndVerified() throws Exception {
        PublishResult r = new Publisher(CONF).publish(config(run + "/refocus", "v2", "--gateTolerance", "1"));
        assertTrue(r.promoted(), r.reason());
        assertEquals(Optional.of("v2"), registry().latest());
        String basisUri = run + "/pretrain/model.safetensors";
        StateDict basis = SafeTensors.read(basisUri, CONF);
        StateDict published = SafeTensors.read(r.versionUri() + "/model.safetensors", CONF);
        assertEquals(basis.keys(), published.keys(), "torchvision keys, in the basis' order");
        assertNotEquals(basis.get("conv1.weight"), published.get("conv1.weight"), "Wt = Wb * Wr + Wb, not Wb");
        assertTrue(r.maxRelativeDifference() <= 1e-4, "fold check: " + r.maxRelativeDifference());
        assertTrue(r.baselineTop1() >= 0 && r.top1() >= 0 && r.images() == 120, r.summary());

        JsonNode card = registry().card("v2");
        assertEquals(Sha256.of(basisUri, CONF), card.at("/sources/1/sha256").asText());
        assertEquals(basisUri, card.at("/sources/1/uri").asText());
        assertEquals("refocus", card.at("/training/config/mode").asText());
        assertEquals(10, card.at("/classes").size());
        assertEquals(36, card.at("/preprocessing/resizeShorterSide").asInt());

        // Independently of the publish code path: the RefConv run and the published plain model agree on new inputs.
        RunModels runModels = RunModels.of(
                RunConfigFile.read(run + "/refocus", CONF), SafeTensors.read(run + "/refocus/model.safetensors", CONF));
        Classifier plain = RunModels.plainModel(RunConfigFile.read(run + "/refocus", CONF));
        Modules.load(plain, published, true);
        plain.eval();
        Engine.manualSeed(7);
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor x = Tensors.randn(4, 3, 32, 32);
            Tensor expected = runModels.trained().forward(x);
            double rel = Ops.maxAbsDiff(expected, plain.forward(x)) / Ops.maxAbs(expected);
            assertTrue(rel <= 1e-4, "relative difference " + rel);
        }
        // The README's PyTorch snippet, run for real on this registry (LATEST = v2): same logits as the Java model.
        ReadmeSnippet.assertLoadsAndMatches(root, plain);
    }

    @Test
    @Order(3)
    void aVersionThatIsNotPromotedIsKeptWithTheReason() throws Exception {
        assertEquals(ExitCode.NOT_PROMOTED, PublishJob.run(config(run + "/refocus", "v3", "--promote", "never"), CONF));
        assertTrue(registry().exists("v3"));
        assertEquals(Optional.of("v2"), registry().latest());
        JsonNode card = registry().card("v3");
        assertFalse(card.at("/promotion/promoted").asBoolean(true));
        assertEquals("promote = never", card.at("/promotion/reason").asText());
        assertEquals("v2", card.at("/promotion/previous/version").asText());

        // Promotion by hand: publishing the existing version again with promote = always moves LATEST only.
        PublishResult byHand = new Publisher(CONF).publish(config(run + "/refocus", "v3", "--promote", "always"));
        assertTrue(byHand.alreadyPublished() && byHand.promoted(), byHand.reason());
        assertEquals(Optional.of("v3"), registry().latest());
    }

    @Test
    @Order(4)
    void republishingAVersionRewritesNothing() throws Exception {
        Path model = Path.of(java.net.URI.create(registry().versionUri("v2") + "/model.safetensors"));
        long before = Files.getLastModifiedTime(model).toMillis();
        String sha = Sha256.of(model.toUri().toString(), CONF);
        PublishResult again = new Publisher(CONF).publish(config(run + "/refocus", "v2"));
        assertTrue(again.alreadyPublished());
        assertFalse(again.promoted(), "a rerun of an older version does not take LATEST back");
        assertEquals(Optional.of("v3"), registry().latest());
        assertEquals(before, Files.getLastModifiedTime(model).toMillis());
        assertEquals(sha, Sha256.of(model.toUri().toString(), CONF));
    }

    @Test
    @Order(5)
    void theTemporaryFolderOfAnInterruptedPublishIsRemovedByTheNextOne() throws Exception {
        Path modelDir = Path.of(java.net.URI.create(registry().dir()));
        Path stale = Files.createDirectories(modelDir.resolve(".v5.tmp-deadbeef"));
        Files.writeString(stale.resolve("model.safetensors"), "cut short");
        assertEquals(ExitCode.OK, PublishJob.run(config(run + "/refocus", "v5", "--gateTolerance", "1"), CONF));
        assertFalse(Files.exists(stale));
        assertEquals(Optional.of("v5"), registry().latest());
        try (Stream<Path> s = Files.list(modelDir)) {
            assertEquals(
                    List.of("LATEST", "v1", "v2", "v3", "v5"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    @Order(6)
    void aBasisWithOtherKeysFailsVerificationAndNothingIsPublished() throws Exception {
        // A copy of the refocus run whose basis checkpoint has one tensor more than the model.
        Path bad = Files.createDirectories(dir.resolve("bad-run"));
        Path src = Path.of(java.net.URI.create(run + "/refocus"));
        Files.copy(src.resolve("model.safetensors"), bad.resolve("model.safetensors"));
        StateDict basis = SafeTensors.read(run + "/pretrain/model.safetensors", CONF);
        basis.put("extra.weight", HostTensor.ofFloats(new long[] {1}, new float[] {1}));
        SafeTensors.write(basis, bad.resolve("basis.safetensors").toString(), CONF);
        ObjectMapper json = new ObjectMapper();
        ObjectNode runConfig = (ObjectNode) json.readTree(
                Path.of(java.net.URI.create(RunLayout.of(src.toUri().toString()).runConfig()))
                        .toFile());
        runConfig.put("checkpointIn", bad.resolve("basis.safetensors").toUri().toString());
        json.writeValue(
                Path.of(java.net.URI.create(RunLayout.of(bad.toUri().toString()).runConfig()))
                        .toFile(),
                runConfig);

        assertEquals(
                ExitCode.VERIFICATION_FAILED, PublishJob.run(config(bad.toUri().toString(), "v6"), CONF));
        assertFalse(registry().exists("v6"));
        assertEquals(Optional.of("v5"), registry().latest());
        try (Stream<Path> s = Files.list(Path.of(java.net.URI.create(registry().dir())))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".v6")), "no temporary folder left");
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheKey() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> PublishConfig.fromArgs(new String[] {"--run", "/r", "--root", "/m", "--version", "LATEST"}));
        assertTrue(e.getMessage().contains("--version"), e.getMessage());
        e = assertThrows(
                ConfigException.class,
                () -> PublishConfig.fromArgs(new String[] {"--run", "/r", "--root", "/m", "--promote", "sometimes"}));
        assertTrue(e.getMessage().contains("--promote"), e.getMessage());
    }

    @Test
    void aFolderThatIsNotATrainRunIsAConfigurationError() throws Exception {
        Path empty =
                Files.createDirectories(Path.of("target", "it-publish-empty").toAbsolutePath());
        assertEquals(ExitCode.BAD_CONFIG, PublishJob.run(config(empty.toUri().toString(), "v9"), CONF));
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    static Stream<Arguments> methods() {
        return Stream.of(
                Arguments.of("rep-adapter", List.of()),
                Arguments.of("retrain", List.of()),
                Arguments.of("finetune", List.of()),
                Arguments.of("refocus", List.of("--wrInit", "zero")),
                Arguments.of("refocus", List.of("--identity", "false")),
                Arguments.of("refocus", List.of("--trainBasis", "true")),
                Arguments.of("refocus", List.of("--randomBasis", "true")));
    }

    /**
     * Every method of the train job starts from the same basis (the pipeline's pretrain run), trains, and publishes
     * a plain model with the basis' keys; re-parameterized ones pass the fold check.
     */
    @ParameterizedTest
    @Order(20)
    @MethodSource("methods")
    void everyMethodTrainsFromTheBasisAndPublishesAPlainModel(String mode, List<String> switches) throws Exception {
        String basisUri = run + "/pretrain/model.safetensors";
        String name = mode + String.join("", switches).replace("--", "-");
        String out = dir.resolve("methods").resolve(name).toUri().toString();
        TrainConfig tc = TrainArgs.fashion(
                        mode,
                        "cifar_quick",
                        RunConfigFile.read(run + "/refocus", CONF).data(),
                        out)
                .with("checkpointIn", basisUri)
                .shortRun(1, 8, 2, 3)
                .and(switches.toArray(String[]::new))
                .config();
        assertEquals(3, DistributedTraining.run(spark, tc, 60_000)[0].steps());

        PublishResult r = new Publisher(CONF).publish(config(out, name, "--gateTolerance", "1"));
        StateDict basis = SafeTensors.read(basisUri, CONF);
        StateDict published = SafeTensors.read(r.versionUri() + "/model.safetensors", CONF);
        assertEquals(basis.keys(), published.keys(), name + ": the basis' keys");
        assertNotEquals(basis.get("conv2.weight"), published.get("conv2.weight"), name + ": trained");
        JsonNode card = registry().card(name);
        if (tc.reparameterized()) {
            assertTrue(r.maxRelativeDifference() <= 1e-4, name + " fold check: " + r.maxRelativeDifference());
            assertTrue(card.at("/architecture/reparameterized").asText().startsWith("3 "), card.toString());
        } else {
            assertTrue(card.at("/architecture/reparameterized").asText().startsWith("no (" + mode), card.toString());
        }
        StateDict trained = SafeTensors.read(out + "/model.safetensors", CONF);
        Tensor basisConv = Tensors.fromHost(basis.get("conv1.weight"));
        Tensor trainedConv = Tensors.fromHost(trained.get("conv1.weight"));
        switch (name) {
            case "finetune" -> {
                assertEquals(1e-4, tc.lr());
                double moved = Ops.maxAbsDiff(trainedConv, basisConv);
                assertTrue(moved > 0 && moved < 1e-2, "finetune moves the weights a little: " + moved);
            }
            case "retrain" -> assertEquals(0.02, tc.lr());
            case "rep-adapter" ->
                assertTrue(
                        trained.keys().contains("conv1.tuned.weight"),
                        trained.keys().toString());
            case "refocus-trainBasistrue" -> assertTrue(Ops.maxAbsDiff(trainedConv, basisConv) > 0, "Wb trained");
            case "refocus-randomBasistrue" -> {
                // A fresh torch.nn.Conv2d init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 3 * 5 * 5; not trained.
                assertTrue(Ops.maxAbs(trainedConv) <= 1 / Math.sqrt(75) + 1e-7, "random basis bound");
                assertTrue(Ops.maxAbsDiff(trainedConv, basisConv) > 1e-3, "not the pretrained basis");
            }
            default -> assertEquals(0.0, Ops.maxAbsDiff(trainedConv, basisConv), name + ": the basis stays frozen");
        }
    }
}
