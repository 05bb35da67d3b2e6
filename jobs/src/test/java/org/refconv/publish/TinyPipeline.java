package org.refconv.publish;

import java.util.ArrayList;
import java.util.List;

import org.refconv.data.demo.FashionMnistDemoDataset;

/**
 * Pipeline arguments for tests: Fashion-MNIST from Debian, 12 images per class at 32 px, cifar_quick, 2 ranks,
 * batch 8, 3 steps per epoch, one epoch per training stage. Shared by the publish and pipeline tests.
 */
public final class TinyPipeline {

    private TinyPipeline() {
    }

    /** @param tree a local folder for the image tree; the other locations may be any Hadoop URI */
    public static String[] args(String work, String tree, String publishRoot, String runId, String... more) {
        List<String> a = new ArrayList<>(List.of("--work", work, "--input", tree, "--publishRoot", publishRoot,
                "--runId", runId, "--fashionMnist", FashionMnistDemoDataset.DEFAULT_SOURCE,
                "--fashionMnistPerClass", "12", "--fashionMnistSize", "32",
                "--prepare.rowGroupRows", "16",
                "--train.model", "cifar_quick", "--train.numClasses", "10", "--train.imageSize", "32",
                "--train.batch", "8", "--train.ranks", "2", "--train.maxStepsPerEpoch", "3",
                "--train.warmupEpochs", "0", "--train.epochs", "1", "--train.lr", "0.02",
                "--train.checkpointEvery", "2", "--publish.evalBatch", "64"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }
}
