package org.refconv.publish;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.SparkSession;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.data.prepare.Preparer;

/**
 * Pipeline arguments for tests: Fashion-MNIST from Debian, 12 images per class at 32 px, cifar_quick, 2 ranks,
 * batch 8, 3 steps per epoch, one epoch per training stage. Shared by the publish and pipeline tests.
 */
public final class TinyPipeline {

    private TinyPipeline() {}

    /** The tiny demo tree's size: 12 train and 12 validation images per class, 32 px. */
    public static final int PER_CLASS = 12;

    /** @param input the image tree (any Hadoop URI); the other locations too */
    public static String[] args(String work, String input, String publishRoot, String runId, String... more) {
        List<String> a = new ArrayList<>(List.of(
                "--work",
                work,
                "--input",
                input,
                "--publishRoot",
                publishRoot,
                "--runId",
                runId,
                "--prepare.rowGroupRows",
                "16",
                "--train.model",
                "cifar_quick",
                "--train.numClasses",
                "10",
                "--train.imageSize",
                "32",
                "--train.batch",
                "8",
                "--train.ranks",
                "2",
                "--train.maxStepsPerEpoch",
                "3",
                "--train.warmupEpochs",
                "0",
                "--train.epochs",
                "1",
                "--train.lr",
                "0.02",
                "--train.checkpointEvery",
                "2",
                "--publish.evalBatch",
                "64"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** An empty folder at {@code p} (deleted first if it exists). */
    public static Path fresh(Path p) throws IOException {
        if (Files.exists(p)) {
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
        return Files.createDirectories(p);
    }

    /** Writes the tiny Fashion-MNIST tree (12 train and 12 validation images per class, 32 px) to {@code tree}. */
    public static void writeTree(Path tree) throws IOException {
        FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, PER_CLASS, 95, false));
    }

    /** Prepares the class-per-folder image tree at {@code tree} into {@code output}, replacing what is there. */
    public static void prepare(SparkSession spark, Path tree, String output, int rowGroupRows) throws IOException {
        new Preparer(spark).run(PrepareConfig.fromArgs(new String[] {
            "--input",
            tree.toUri().toString(),
            "--output",
            output,
            "--layout",
            "kaggle",
            "--rowGroupRows",
            String.valueOf(rowGroupRows),
            "--overwrite",
            "true"
        }));
    }
}
