package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.config.ConfigException;
import org.refconv.dist.GradientSync;
import org.refconv.engine.Device;
import org.refconv.engine.MemoryFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The train job's configuration: file + overrides, validation before any cluster work, device choice. */
class TrainConfigTest {

    private static final Path CONF = Path.of(System.getProperty("refconv.repo.root", ".."), "conf", "train.conf");

    private static TrainConfig parse(String... overrides) {
        List<String> args = new ArrayList<>(List.of("--config", CONF.toString()));
        args.addAll(List.of(overrides));
        return TrainConfig.fromArgs(args.toArray(new String[0]));
    }

    private static TrainConfig parse(TrainArgs overrides) {
        return parse(overrides.array());
    }

    /** A valid run to vary: model m, data /d, output /o, basis /b. */
    private static TrainArgs valid() {
        return TrainArgs.run("m", "/d", "/o").with("checkpointIn", "/b");
    }

    @Test
    void theShippedDefaultsAreThePapersRecipeAndOverridesWin() {
        TrainConfig c = parse(TrainArgs.run("resnet18", "/d", "/o")
                .with("checkpointIn", "/b.pth")
                .with("ranks", 4)
                .with("epochs", 10));
        assertEquals("refocus", c.mode());
        assertEquals(0.1, c.lr());
        assertEquals(0.9, c.momentum());
        assertEquals(4e-5, c.weightDecay());
        assertEquals(5, c.warmupEpochs());
        assertEquals(256, c.batch());
        assertEquals(64, c.batchPerRank());
        assertEquals(10, c.epochs());
        assertEquals("xavier", c.wrInit());
    }

    @Test
    void everyMethodStartsFromTheBasisAndFinetuneTakesItsOwnLearningRate() {
        for (String mode : List.of("refocus", "rep-adapter", "retrain", "finetune")) {
            TrainConfig c = parse(resnet18().with("mode", mode));
            assertEquals(mode.equals("refocus") || mode.equals("rep-adapter"), c.reparameterized(), mode);
            assertEquals(mode.equals("finetune") ? 1e-4 : 0.1, c.lr(), mode);
            assertRefused(TrainArgs.run("m", "/d", "/o").with("mode", mode), "mode " + mode + " needs checkpointIn");
        }
        assertEquals(
                3e-4,
                parse(valid().with("mode", "finetune").with("finetuneLr", "3e-4"))
                        .lr());
        // The refocus ablation switches are refused elsewhere rather than silently ignored.
        assertRefused(valid().with("mode", "retrain").with("trainBasis", "true"), "trainBasis", "refocus only");
        TrainConfig ablation = parse(resnet18().with("identity", "false").with("randomBasis", "true"));
        assertTrue(!ablation.identity() && ablation.randomBasis());
        assertNotEquals(parse(resnet18()).trajectoryHash(), ablation.trajectoryHash(), "the switches shape the run");
    }

    /** Parsing {@code args} fails with a message naming every one of {@code words}. */
    private static void assertRefused(TrainArgs args, String... words) {
        String message = assertThrows(ConfigException.class, () -> parse(args)).getMessage();
        for (String w : words) {
            assertTrue(message.contains(w), message);
        }
    }

    /** resnet18 from the basis /b.pth. */
    private static TrainArgs resnet18() {
        return TrainArgs.run("resnet18", "/d", "/o").with("checkpointIn", "/b.pth");
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        assertRefused(valid().with("batch", 10).with("ranks", 4), "--batch", "divisible");
        ConfigException unknown = assertThrows(ConfigException.class, () -> parse("--learningRate", "0.1"));
        assertTrue(unknown.getMessage().contains("learningRate"), unknown.getMessage());
        assertRefused(TrainArgs.run("m", "/d", "/o"), "checkpointIn");
        assertRefused(valid().with("device", "tpu"), "device");
        assertRefused(valid().with("gradientSync", "async"), "gradientSync");
        assertRefused(valid().with("memoryFormat", "nhwc"), "memoryFormat", "channels-last");
        assertRefused(
                valid().with("gradientSync", "blocking").with("gradientCompression", "fp16"),
                "gradientCompression",
                "overlapped");
        assertEquals(
                GradientSync.Compression.FP16,
                parse(valid().with("gradientCompression", "fp16")).gradientCompression());
    }

    @Test
    void preflightChecksModelDataAndCheckpointBeforeAnyClusterIsAsked(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("data/train"));
        Files.createDirectories(dir.resolve("data/val"));
        Configuration conf = new Configuration();
        String data = dir.resolve("data").toString();
        ConfigException model = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(TrainArgs.run("resnet19", data, "/o").with("checkpointIn", "/b")), conf));
        assertTrue(
                model.getMessage().contains("resnet19") && model.getMessage().contains("resnet18"), model.getMessage());
        String missing = dir.resolve("missing.safetensors").toString();
        ConfigException basis = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(TrainArgs.run("cifar_quick", data, "/o").with("checkpointIn", missing)), conf));
        assertTrue(basis.getMessage().contains("missing.safetensors"), basis.getMessage());
        ConfigException split = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(TrainArgs.run("cifar_quick", dir.toString(), "/o").with("mode", "pretrain")), conf));
        assertTrue(split.getMessage().contains("train"), split.getMessage());
        // Empty split folders are not a prepare output (DataPreflightTest has the passing case).
        ConfigException empty = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(TrainArgs.run("cifar_quick", data, "/o").with("mode", "pretrain")), conf));
        assertTrue(empty.getMessage().contains("manifest.json"), empty.getMessage());
    }

    @Test
    void theTrajectoryHashIgnoresRanksThreadsGradientSyncAndLayoutButNotTheRecipe() {
        TrainConfig a = parse(valid());
        assertEquals(
                a.trajectoryHash(),
                parse(valid().with("ranks", 8).with("threadsPerRank", 4)).trajectoryHash());
        TrainConfig blocking = parse(valid().with("gradientSync", "blocking"));
        assertEquals(GradientSync.Mode.OVERLAPPED, a.gradientSync());
        assertEquals(GradientSync.Mode.BLOCKING, blocking.gradientSync());
        assertEquals(a.trajectoryHash(), blocking.trajectoryHash());
        TrainConfig nchw = parse(valid().with("memoryFormat", "contiguous"));
        assertEquals(MemoryFormat.CHANNELS_LAST, a.memoryFormat());
        assertEquals(MemoryFormat.CONTIGUOUS, nchw.memoryFormat());
        assertEquals(a.trajectoryHash(), nchw.trajectoryHash());
        assertNotEquals(a.trajectoryHash(), parse(valid().with("lr", "0.05")).trajectoryHash());
    }

    @Test
    void theTaskDeviceComesFromSparksGpuAssignment() {
        assertEquals(Device.CPU, DeviceChoice.forTask("cpu", Map.of()));
        Map<String, ResourceInformation> gpus = Map.of("gpu", new ResourceInformation("gpu", new String[] {"3"}));
        assertEquals(Device.cuda(3), DeviceChoice.forTask("gpu", gpus));
        IllegalStateException none =
                assertThrows(IllegalStateException.class, () -> DeviceChoice.forTask("gpu", Map.of()));
        assertTrue(none.getMessage().contains("spark.task.resource.gpu.amount"), none.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> DeviceChoice.forTask(
                        "gpu", Map.of("gpu", new ResourceInformation("gpu", new String[] {"GPU-5f2a"}))));
    }
}
