package org.refconv.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.config.ConfigException;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.train.RunConfigFile;
import org.refconv.train.TrainConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The experiment's settings: sections, precedence, wiring of every run, and refusals before anything starts. */
class ExperimentConfigTest {

    private static final Path CONF = Path.of(System.getProperty("refconv.repo.root", ".."), "conf", "experiment.conf");

    private static ExperimentConfig parse(String... overrides) {
        List<String> a = new ArrayList<>(List.of("--config", CONF.toString(), "--work", "/w/"));
        a.addAll(List.of(overrides));
        return ExperimentConfig.fromArgs(a.toArray(String[]::new));
    }

    @Test
    void everyRunIsWiredFromTheSameBasisWithItsMethodAndSeed() {
        ExperimentConfig c = parse();
        assertEquals(List.of("cifar_quick", "resnet18_small"), c.models());
        assertEquals(List.of(Method.REFCONV, Method.RETRAIN, Method.FINETUNE, Method.REP_ADAPTER), c.methods());
        TrainConfig basis = c.pretrain().get("resnet18_small");
        assertEquals("pretrain", basis.mode());
        assertEquals(4, basis.epochs(), "pretrain section wins over the model section");
        assertEquals(30, basis.maxStepsPerEpoch(), "the model section still applies to its basis");
        assertEquals("/w/resnet18_small/pretrain", basis.output());
        assertEquals("/w/data", basis.data());

        List<List<TrainConfig>> runs = c.runs("resnet18_small");
        assertEquals(4, runs.size());
        TrainConfig finetune = runs.get(2).get(1);
        assertEquals("finetune", finetune.mode());
        assertEquals(1e-4, finetune.lr());
        assertEquals(1, finetune.seed());
        assertEquals(1, finetune.epochs(), "resnet18_small.epochs");
        assertEquals("/w/resnet18_small/pretrain/model.safetensors", finetune.checkpointIn());
        assertEquals("/w/resnet18_small/finetune/seed-1", finetune.output());
        TrainConfig refconv = c.runs("cifar_quick").get(0).get(2);
        assertEquals("refocus", refconv.mode());
        assertEquals(2, refconv.epochs());
        assertEquals(0.05, refconv.lr());
        assertEquals(0, refconv.maxStepsPerEpoch());

        ExperimentConfig ablation = parse("--methods", "refconv-zi,refconv-randombasis", "--seeds", "1");
        TrainConfig zi = ablation.runs("cifar_quick").get(0).get(0);
        assertEquals("zero", zi.wrInit());
        assertTrue(ablation.runs("cifar_quick").get(1).get(0).randomBasis());
    }

    @Test
    void aRunOfOneModelKeepsTheOtherModelsSectionsOfTheConfFile() {
        ExperimentConfig c = parse("--models", "cifar_quick", "--methods", "refconv");
        assertEquals(List.of("cifar_quick"), c.models());
        assertEquals(1, c.runs("cifar_quick").size());
    }

    @Test
    void aSharedBasisSharesItsDatasetAndTheMethodsRunsStayInWork() {
        ExperimentConfig c = parse("--basisWork", "/b/", "--models", "cifar_quick");
        assertEquals("/b/cifar_quick/pretrain", c.pretrain().get("cifar_quick").output());
        assertEquals("/b/data", c.pretrain().get("cifar_quick").data());
        TrainConfig refconv = c.runs("cifar_quick").get(0).get(0);
        assertEquals("/b/data", refconv.data());
        assertEquals("/b/cifar_quick/pretrain/model.safetensors", refconv.checkpointIn());
        assertEquals("/w/cifar_quick/refconv/seed-0", refconv.output());
        assertEquals("/b/fashion-mnist-tree", c.prepare().get(PrepareConfig.INPUT));

        ExperimentConfig transfer = parse("--basisWork", "/b", "--basisClasses", "0,1", "--classes", "2,3");
        assertEquals("/b/basis-data", transfer.pretrain().get("cifar_quick").data());
        assertEquals("/w/data", transfer.runs("cifar_quick").get(0).get(0).data(), "new classes: work's dataset");
    }

    @Test
    void badSettingsAreRefusedBeforeAnythingRuns() {
        assertRefused("unknown method 'dropout'", "--methods", "refconv,dropout");
        assertRefused("unknown model 'vgg16'", "--models", "vgg16");
        assertRefused("unknown section 'resnet05'", "--resnet05.epochs", "3");
        assertRefused("'output' is set by the experiment", "--train.output", "/elsewhere");
        assertRefused("divisible", "--train.batch", "63", "--train.ranks", "2");
    }

    @Test
    void aRerunWithOtherSettingsOverFinishedRunsIsRefusedNamingTheChangedKey(@TempDir Path work) throws Exception {
        Configuration conf = new Configuration();
        String w = work.toUri().toString();
        ExperimentConfig first = parse("--work", w, "--models", "cifar_quick", "--methods", "refconv", "--seeds", "1");
        RunConfigFile.write(first.pretrain().get("cifar_quick"), conf);
        RunConfigFile.write(first.runs("cifar_quick").get(0).get(0), conf);
        AblationExperiment.requireSameSettings(first, conf); // the same settings resume
        AblationExperiment.requireSameSettings(parse("--work", w, "--models", "cifar_quick", "--seeds", "2"), conf);

        ExperimentConfig longer = parse(
                "--work", w, "--models", "cifar_quick", "--methods", "refconv", "--seeds", "1", "--train.epochs", "3");
        String message = assertThrows(ConfigException.class, () -> AblationExperiment.requireSameSettings(longer, conf))
                .getMessage();
        assertTrue(message.contains("refconv/seed-0/run-config.json"), message);
        assertTrue(message.contains("epochs: 2 -> 3") && message.contains("--work"), message);

        ExperimentConfig otherBasis = parse(
                "--work", w, "--models", "cifar_quick", "--methods", "refconv", "--seeds", "1", "--pretrain.lr", "0.1");
        message = assertThrows(ConfigException.class, () -> AblationExperiment.requireSameSettings(otherBasis, conf))
                .getMessage();
        assertTrue(message.contains("pretrain/run-config.json") && message.contains("lr: 0.05 -> 0.1"), message);
    }

    private static void assertRefused(String reason, String... overrides) {
        String message =
                assertThrows(ConfigException.class, () -> parse(overrides)).getMessage();
        assertTrue(message.contains(reason), message);
    }
}
