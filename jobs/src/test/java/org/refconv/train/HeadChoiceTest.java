package org.refconv.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.SafeTensors;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;
import org.refconv.optim.Sgd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The head choice (auto / new / keep), the new head's init, and the parameter groups' update, on the driver. */
class HeadChoiceTest {

    private static final Configuration CONF = new Configuration();

    @TempDir
    static Path dir;

    /** Zoo checkpoints with 10 classes, as a basis trained elsewhere. */
    private static Path checkpoint(String model) throws Exception {
        Path p = dir.resolve(model + "-10.safetensors");
        if (!p.toFile().exists()) {
            Engine.manualSeed(99);
            SafeTensors.write(
                    Modules.toStateDict(ModelZoo.create(model, ConvFactory.plain(), 3, 10, 32)), p.toString(), CONF);
        }
        return p;
    }

    @BeforeAll
    static void files() throws Exception {
        checkpoint("resnet18");
        checkpoint("cifar_quick");
    }

    private static TrainConfig config(String model, int classes, String... more) throws Exception {
        return TrainArgs.run(model, dir.toString(), dir.resolve("out").toString())
                .with("numClasses", classes)
                .with("imageSize", 32)
                .with("checkpointIn", checkpoint(model).toString())
                .and(more)
                .config();
    }

    @Test
    void autoStartsANewResnetHeadWithNnLinearsInitAndLoadsEverythingElse() throws Exception {
        ModelBuilder.Built b = ModelBuilder.build(config("resnet18", 3), CONF);
        assertTrue(b.head().isNew(), b.head().describe());
        assertEquals("fc", b.head().layer());
        assertEquals(List.of("fc.weight", "fc.bias"), b.head().keys());
        StateDict basis = SafeTensors.read(checkpoint("resnet18").toString(), CONF);
        StateDict built = Modules.toStateDict(b.model());
        for (String k : basis.keys()) {
            if (!k.startsWith("fc.")) {
                assertEquals(basis.get(k), built.get(k), k);
            }
        }
        // nn.Linear's init (torchvision's ResNet leaves fc to it): U(-1/sqrt(512), 1/sqrt(512)) for weight and bias.
        double bound = 1 / Math.sqrt(512);
        for (String k : List.of("fc.weight", "fc.bias")) {
            float[] v = Tensors.toFloats(Modules.stateDict(b.model()).get(k));
            double max = 0;
            for (float x : v) {
                max = Math.max(max, Math.abs(x));
            }
            // 1,536 weights reach near the bound; 3 biases need not.
            assertTrue(max <= bound && (k.endsWith("bias") || max > 0.99 * bound), k + ": max |value| " + max);
        }
    }

    @Test
    void aNewMobilenetHeadIsNormalWithStd001AndZeroBias() throws Exception {
        checkpoint("mobilenet_v2");
        ModelBuilder.Built b = ModelBuilder.build(config("mobilenet_v2", 5, "--mode", "linear-probe"), CONF);
        assertEquals("classifier.1", b.head().layer());
        Map<String, Tensor> state = Modules.stateDict(b.model());
        float[] w = Tensors.toFloats(state.get("classifier.1.weight"));
        double sq = 0;
        for (float x : w) {
            sq += x * x;
        }
        double std = Math.sqrt(sq / w.length);
        assertTrue(Math.abs(std - 0.01) < 0.0005, "std " + std + " of 6,400 values");
        for (float x : Tensors.toFloats(state.get("classifier.1.bias"))) {
            assertEquals(0f, x);
        }
        // linear-probe: only the head trains.
        assertEquals(
                List.of("classifier.1.weight", "classifier.1.bias"),
                List.copyOf(Modules.trainableParameters(b.model()).keySet()));
    }

    @Test
    void autoKeepsAFittingHeadAndNewReplacesIt() throws Exception {
        StateDict basis = SafeTensors.read(checkpoint("cifar_quick").toString(), CONF);
        ModelBuilder.Built kept = ModelBuilder.build(config("cifar_quick", 10), CONF);
        assertFalse(kept.head().isNew());
        assertEquals(basis.get("fc2.weight"), Modules.toStateDict(kept.model()).get("fc2.weight"));
        ModelBuilder.Built fresh = ModelBuilder.build(config("cifar_quick", 10, "--head", "new"), CONF);
        assertTrue(fresh.head().isNew());
        assertEquals("fc2", fresh.head().layer());
        assertNotEquals(
                basis.get("fc2.weight"), Modules.toStateDict(fresh.model()).get("fc2.weight"));
        assertEquals(basis.get("fc1.weight"), Modules.toStateDict(fresh.model()).get("fc1.weight"));
    }

    /**
     * One SGD step (first step: the momentum buffer is the gradient plus decay) with headLrScale 10 and no decay on
     * 1-D tensors, checked element by element against p - lr * scale * (g + wd * p) computed here.
     */
    @Test
    void theHeadMultiplierScalesItsUpdateAndOneDimensionalTensorsGetNoDecay() throws Exception {
        TrainConfig c = config(
                "cifar_quick",
                4,
                "--mode",
                "retrain",
                "--headLrScale",
                "10",
                "--backboneLrScale",
                "0.5",
                "--noDecayNormBias",
                "true",
                "--weightDecay",
                "0.01",
                "--lr",
                "0.1");
        ModelBuilder.Built b = ModelBuilder.build(c, CONF);
        Map<String, Tensor> trainable = Modules.trainableParameters(b.model());
        ParamGroups groups = ParamGroups.of(c, trainable, b.head());
        Sgd sgd = new Sgd(trainable, 0.1, 0.9, groups.groups());
        Engine.manualSeed(3);
        Tensor x = Tensors.randn(4, 3, 32, 32);
        Tensor labels = Tensors.fromLongs(new long[] {0, 1, 2, 3}, 4);
        Ops.crossEntropy(b.model().forward(x), labels).backward();
        Map<String, HostTensor> before = new java.util.LinkedHashMap<>();
        Map<String, float[]> grads = new java.util.LinkedHashMap<>();
        trainable.forEach((k, t) -> {
            before.put(k, Tensors.toHost(t));
            grads.put(k, Tensors.toFloats(t.grad()));
        });
        sgd.step();
        Map<String, double[]> expected = Map.of(
                "fc2.weight", new double[] {10, 0.01},
                "fc2.bias", new double[] {10, 0},
                "conv1.weight", new double[] {0.5, 0.01},
                "conv1.bias", new double[] {0.5, 0},
                "fc1.weight", new double[] {0.5, 0.01});
        for (Map.Entry<String, double[]> e : expected.entrySet()) {
            float[] p0 = Tensors.toFloats(Tensors.fromHost(before.get(e.getKey())));
            float[] g = grads.get(e.getKey());
            float[] p1 = Tensors.toFloats(trainable.get(e.getKey()));
            double scale = e.getValue()[0];
            double wd = e.getValue()[1];
            double worst = 0;
            boolean moved = false;
            for (int i = 0; i < p0.length; i++) {
                double want = p0[i] - 0.1 * scale * (g[i] + wd * p0[i]);
                worst = Math.max(worst, Math.abs(want - p1[i]));
                moved |= p1[i] != p0[i];
            }
            assertTrue(moved, e.getKey() + " did not move");
            assertTrue(worst < 1e-6, e.getKey() + ": off by " + worst);
        }
        assertTrue(groups.describe().contains("head fc2 (2 tensors) lr x10.0"), groups.describe());
    }
}
