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

    @Test
    void theShippedDefaultsAreThePapersRecipeAndOverridesWin() {
        TrainConfig c = parse(
                "--model",
                "resnet18",
                "--data",
                "/d",
                "--output",
                "/o",
                "--checkpointIn",
                "/b.pth",
                "--ranks",
                "4",
                "--epochs",
                "10");
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
        String[] common = {"--model", "resnet18", "--data", "/d", "--output", "/o", "--checkpointIn", "/b.pth"};
        for (String mode : List.of("refocus", "rep-adapter", "retrain", "finetune")) {
            List<String> a = new ArrayList<>(List.of(common));
            a.addAll(List.of("--mode", mode));
            TrainConfig c = parse(a.toArray(String[]::new));
            assertEquals(mode.equals("refocus") || mode.equals("rep-adapter"), c.reparameterized(), mode);
            assertEquals(mode.equals("finetune") ? 1e-4 : 0.1, c.lr(), mode);
            ConfigException noBasis = assertThrows(
                    ConfigException.class,
                    () -> parse("--mode", mode, "--model", "m", "--data", "/d", "--output", "/o"));
            assertTrue(noBasis.getMessage().contains("mode " + mode + " needs checkpointIn"), noBasis.getMessage());
        }
        assertEquals(
                3e-4,
                parse(
                                "--mode",
                                "finetune",
                                "--finetuneLr",
                                "3e-4",
                                "--model",
                                "m",
                                "--data",
                                "/d",
                                "--output",
                                "/o",
                                "--checkpointIn",
                                "/b")
                        .lr());
        // The refocus ablation switches are refused elsewhere rather than silently ignored.
        ConfigException wrongMode = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--mode",
                        "retrain",
                        "--trainBasis",
                        "true",
                        "--model",
                        "m",
                        "--data",
                        "/d",
                        "--output",
                        "/o",
                        "--checkpointIn",
                        "/b"));
        assertTrue(
                wrongMode.getMessage().contains("trainBasis")
                        && wrongMode.getMessage().contains("refocus only"),
                wrongMode.getMessage());
        TrainConfig ablation = parse(
                common[0],
                common[1],
                common[2],
                common[3],
                common[4],
                common[5],
                common[6],
                common[7],
                "--identity",
                "false",
                "--randomBasis",
                "true");
        assertTrue(!ablation.identity() && ablation.randomBasis());
        assertNotEquals(parse(common).trajectoryHash(), ablation.trajectoryHash(), "the switches shape the run");
    }

    @Test
    void badSettingsAreRefusedNamingTheSetting() {
        ConfigException batch = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--model",
                        "m",
                        "--data",
                        "/d",
                        "--output",
                        "/o",
                        "--checkpointIn",
                        "/b",
                        "--batch",
                        "10",
                        "--ranks",
                        "4"));
        assertTrue(
                batch.getMessage().contains("--batch") && batch.getMessage().contains("divisible"), batch.getMessage());
        ConfigException unknown = assertThrows(ConfigException.class, () -> parse("--learningRate", "0.1"));
        assertTrue(unknown.getMessage().contains("learningRate"), unknown.getMessage());
        ConfigException noBasis =
                assertThrows(ConfigException.class, () -> parse("--model", "m", "--data", "/d", "--output", "/o"));
        assertTrue(noBasis.getMessage().contains("checkpointIn"), noBasis.getMessage());
        ConfigException device = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--model", "m", "--data", "/d", "--output", "/o", "--checkpointIn", "/b", "--device", "tpu"));
        assertTrue(device.getMessage().contains("device"), device.getMessage());
        ConfigException sync = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--model",
                        "m",
                        "--data",
                        "/d",
                        "--output",
                        "/o",
                        "--checkpointIn",
                        "/b",
                        "--gradientSync",
                        "async"));
        assertTrue(sync.getMessage().contains("gradientSync"), sync.getMessage());
        ConfigException layout = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--model",
                        "m",
                        "--data",
                        "/d",
                        "--output",
                        "/o",
                        "--checkpointIn",
                        "/b",
                        "--memoryFormat",
                        "nhwc"));
        assertTrue(
                layout.getMessage().contains("memoryFormat")
                        && layout.getMessage().contains("channels-last"),
                layout.getMessage());
        ConfigException compression = assertThrows(
                ConfigException.class,
                () -> parse(
                        "--model",
                        "m",
                        "--data",
                        "/d",
                        "--output",
                        "/o",
                        "--checkpointIn",
                        "/b",
                        "--gradientSync",
                        "blocking",
                        "--gradientCompression",
                        "fp16"));
        assertTrue(
                compression.getMessage().contains("gradientCompression")
                        && compression.getMessage().contains("overlapped"),
                compression.getMessage());
        assertEquals(
                GradientSync.Compression.FP16,
                parse(
                                "--model",
                                "m",
                                "--data",
                                "/d",
                                "--output",
                                "/o",
                                "--checkpointIn",
                                "/b",
                                "--gradientCompression",
                                "fp16")
                        .gradientCompression());
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
                        parse("--model", "resnet19", "--data", data, "--output", "/o", "--checkpointIn", "/b"), conf));
        assertTrue(
                model.getMessage().contains("resnet19") && model.getMessage().contains("resnet18"), model.getMessage());
        ConfigException basis = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(
                                "--model",
                                "cifar_quick",
                                "--data",
                                data,
                                "--output",
                                "/o",
                                "--checkpointIn",
                                dir.resolve("missing.safetensors").toString()),
                        conf));
        assertTrue(basis.getMessage().contains("missing.safetensors"), basis.getMessage());
        ConfigException split = assertThrows(
                ConfigException.class,
                () -> TrainJob.preflight(
                        parse(
                                "--mode",
                                "pretrain",
                                "--model",
                                "cifar_quick",
                                "--data",
                                dir.toString(),
                                "--output",
                                "/o"),
                        conf));
        assertTrue(split.getMessage().contains("train"), split.getMessage());
        TrainJob.preflight(
                parse("--mode", "pretrain", "--model", "cifar_quick", "--data", data, "--output", "/o"), conf);
    }

    @Test
    void theTrajectoryHashIgnoresRanksThreadsGradientSyncAndLayoutButNotTheRecipe() {
        String[] base = {"--model", "m", "--data", "/d", "--output", "/o", "--checkpointIn", "/b"};
        TrainConfig a = parse(base);
        assertEquals(
                a.trajectoryHash(),
                parse(concat(base, "--ranks", "8", "--threadsPerRank", "4")).trajectoryHash());
        TrainConfig blocking = parse(concat(base, "--gradientSync", "blocking"));
        assertEquals(GradientSync.Mode.OVERLAPPED, a.gradientSync());
        assertEquals(GradientSync.Mode.BLOCKING, blocking.gradientSync());
        assertEquals(a.trajectoryHash(), blocking.trajectoryHash());
        TrainConfig nchw = parse(concat(base, "--memoryFormat", "contiguous"));
        assertEquals(MemoryFormat.CHANNELS_LAST, a.memoryFormat());
        assertEquals(MemoryFormat.CONTIGUOUS, nchw.memoryFormat());
        assertEquals(a.trajectoryHash(), nchw.trajectoryHash());
        assertNotEquals(a.trajectoryHash(), parse(concat(base, "--lr", "0.05")).trajectoryHash());
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

    private static String[] concat(String[] a, String... b) {
        List<String> out = new ArrayList<>(List.of(a));
        out.addAll(List.of(b));
        return out.toArray(new String[0]);
    }
}
