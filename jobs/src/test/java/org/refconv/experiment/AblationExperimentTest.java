package org.refconv.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.refconv.publish.TinyPipeline;
import org.refconv.train.TestSpark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The experiment end to end on local Spark with a tiny Fashion-MNIST tree: one basis, two methods x two seeds from
 * it, the table; a rerun trains nothing and reports the same results.
 */
class AblationExperimentTest {

    @Test
    void runsEveryMethodAndSeedFromOneBasisAndARerunRedoesNothing() throws Exception {
        Path dir = TinyPipeline.fresh(Path.of("target", "it-experiment").toAbsolutePath());
        SparkSession spark = TestSpark.local("AblationExperimentTest", dir.resolve("spark-local"));
        try {
            ExperimentConfig c = ExperimentConfig.fromArgs(new String[] {
                "--work",
                dir.toUri().toString(),
                "--perClass",
                String.valueOf(TinyPipeline.PER_CLASS),
                "--valPerClass",
                "6",
                "--models",
                "cifar_quick",
                "--methods",
                "refconv,finetune",
                "--seeds",
                "2",
                "--prepare.rowGroupRows",
                "16",
                "--train.batch",
                "8",
                "--train.ranks",
                "2",
                "--train.epochs",
                "1",
                "--train.warmupEpochs",
                "0",
                "--train.maxStepsPerEpoch",
                "2",
                "--train.lr",
                "0.02"
            });
            ResultTable first = new AblationExperiment(spark).run(c);
            assertEquals(5, first.runs().size(), "basis + 2 methods x 2 seeds");
            assertEquals(
                    List.of(AblationExperiment.BASIS, "refconv", "finetune"),
                    List.copyOf(first.summaries().get("cifar_quick").keySet()));
            assertTrue(first.runs().stream().allMatch(r -> r.top1() >= 0 && r.top1() <= 1 && r.seconds() > 0));
            // Two seeds really are two runs: Wr init and data order differ.
            assertTrue(Files.exists(dir.resolve("cifar_quick/refconv/seed-1/model.safetensors")));
            String md = Files.readString(dir.resolve("results.md"));
            assertTrue(md.contains("| cifar_quick | refconv | 2 |"), md);
            assertEquals(first.csv(), Files.readString(dir.resolve("results.csv")));

            ResultTable again = new AblationExperiment(spark).run(c);
            assertTrue(again.runs().stream().allMatch(r -> Double.isNaN(r.seconds())), "nothing retrained");
            for (int i = 0; i < first.runs().size(); i++) {
                assertEquals(first.runs().get(i).top1(), again.runs().get(i).top1(), 1e-6, "run " + i);
            }
        } finally {
            spark.stop();
        }
    }
}
