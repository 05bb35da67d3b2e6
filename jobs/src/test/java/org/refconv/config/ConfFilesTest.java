package org.refconv.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.experiment.ExperimentConfig;
import org.refconv.publish.PublishConfig;
import org.refconv.retrain.DemoJob;
import org.refconv.retrain.PipelineConfig;
import org.refconv.train.TrainConfig;
import org.refconv.train.TrainKeys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every job's key table against the shipped conf/*.conf files: one declaration per setting, files consistent. */
class ConfFilesTest {

    private static final Path CONF = Path.of(System.getProperty("refconv.repo.root", ".."), "conf");

    private static final List<KeyTable> TABLES = List.of(
            TrainConfig.KEYS,
            PrepareConfig.KEYS,
            PublishConfig.KEYS,
            PipelineConfig.KEYS,
            ExperimentConfig.KEYS,
            DemoJob.KEYS);

    @Test
    void everyKeyHasAKindAndADocLine() {
        for (KeyTable t : TABLES) {
            assertFalse(t.keys().isEmpty(), t.job());
            for (Key<?> k : t.keys()) {
                assertNotNull(k.kind(), t.job() + "." + k.name());
                assertFalse(k.doc().isBlank(), t.job() + "." + k.name() + " has no doc line");
            }
        }
    }

    /**
     * A job's own conf file lists every key of its table, with the table's default (or, for a key the user must give,
     * an example), and nothing else.
     */
    @Test
    void theJobDefaultFilesHoldExactlyTheTablesKeysAndDefaults() {
        Map<KeyTable, String> files = Map.of(
                TrainConfig.KEYS, "train.conf", PrepareConfig.KEYS, "prepare.conf", PublishConfig.KEYS, "publish.conf");
        files.forEach((table, name) -> {
            Settings file = new Settings();
            file.readFile(CONF.resolve(name));
            assertEquals(
                    table.defaults().keySet(),
                    file.asMap().keySet(),
                    name + " must list exactly the keys of " + table.job());
            for (Key<?> k : table.keys()) {
                if (!k.defaultValue().isEmpty()) {
                    Settings.Setting line = file.get(k.name());
                    assertEquals(
                            k.parse(k.defaultValue(), "default"),
                            k.parse(line.value(), line.origin()),
                            line.origin() + ": the default of " + table.job() + "." + k.name());
                }
            }
        });
    }

    /** The composite configs parse their shipped files whole: each stage's keys checked against its table. */
    @Test
    void theCompositeConfFilesParse() {
        PipelineConfig p = PipelineConfig.fromArgs(
                new String[] {"--config", CONF.resolve("pipeline.conf").toString()});
        assertEquals(8, p.refocus().ranks());
        DemoJob.Config demo = DemoJob.parse(Settings.fromArgs(
                new String[] {"--config", CONF.resolve("pipeline-demo.conf").toString()}));
        assertEquals("cifar_quick", demo.pipeline().refocus().model());
        assertEquals(2000, demo.demo().get(DemoJob.PER_CLASS));
        assertEquals(
                org.refconv.engine.Precision.AUTO, demo.pipeline().refocus().precision());
        assertEquals(
                org.refconv.engine.Precision.AUTO, demo.pipeline().pretrain().precision());
        ExperimentConfig e = ExperimentConfig.fromArgs(
                new String[] {"--config", CONF.resolve("experiment.conf").toString(), "--work", "/tmp/x"});
        assertTrue(e.models().contains("resnet18_small"));
        ExperimentConfig converged = ExperimentConfig.fromArgs(new String[] {
            "--config", CONF.resolve("experiment-converged.conf").toString(), "--work", "/tmp/x"
        });
        assertEquals("cifar", converged.runs("cifar_quick").get(0).get(0).get(TrainKeys.AUGMENT));
        ExperimentConfig fewShot = ExperimentConfig.fromArgs(new String[] {
            "--config", CONF.resolve("experiment-fewshot.conf").toString(), "--work", "/tmp/x", "--basisWork", "/tmp/b"
        });
        assertEquals(5, fewShot.pretrain().get("cifar_quick").numClasses());
        assertEquals("/tmp/b/basis-data", fewShot.pretrain().get("cifar_quick").data());
        TrainConfig probe = fewShot.runs("cifar_quick").get(0).get(0);
        assertEquals("linear-probe", probe.mode());
        assertEquals(5, probe.numClasses());
        assertEquals("new", probe.get(TrainKeys.HEAD), "classes 5-9 are new though the basis also has 5 outputs");
        assertEquals("/tmp/b/cifar_quick/pretrain/model.safetensors", probe.checkpointIn());
    }
}
