package org.refconv.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.SparkSession;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.refconv.data.config.PrepareConfig;
import org.refconv.data.demo.FashionMnistDemoDataset;
import org.refconv.data.prepare.Preparer;
import org.refconv.dist.GradientAverager;
import org.refconv.dist.GradientSync;
import org.refconv.dist.LocalRanks;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Tensors;
import org.refconv.layers.ConvFactory;
import org.refconv.models.ModelZoo;

/**
 * Training throughput on the loopback standalone cluster (2 one-core workers): 1 rank vs 2 ranks (1 thread each)
 * gives the scaling efficiency, with gradients averaged during backward (DDP's Reducer, the default) and after it
 * (blocking all-reduces); pretrain vs refocus on the same model and data gives RefConv's training cost;
 * Gloo all-reduce bandwidth for the model's gradient size. Run: {@code mvn -Pbench -pl jobs -am test
 * -Dtest=TrainBench -Dsurefire.failIfNoSpecifiedTests=false}. Prints figures; asserts nothing.
 */
@Tag("bench")
class TrainBench {

    private static final String MODEL = System.getProperty("bench.model", "resnet18_small");
    private static final int STEPS = Integer.parseInt(System.getProperty("bench.steps", "12"));
    private static final GradientSync.Mode OVERLAPPED = GradientSync.Mode.OVERLAPPED;
    private static final GradientSync.Mode BLOCKING = GradientSync.Mode.BLOCKING;

    @Test
    void printScalingAndRefocusCost() throws Exception {
        Path root = Files.createDirectories(Path.of("target", "bench-train").toAbsolutePath());
        try (LoopbackCluster cluster = new LoopbackCluster(root.resolve("cluster"), 2)) {
            SparkSession spark = cluster.session("refconv-train-bench");
            Path tree = root.resolve("tree");
            FashionMnistDemoDataset.write(new FashionMnistDemoDataset.Options(
                    Path.of(FashionMnistDemoDataset.DEFAULT_SOURCE), tree, 32, 80, 90, true));
            String data = root.resolve("prepared").toUri().toString();
            new Preparer(spark).run(PrepareConfig.fromArgs(new String[]{"--input", tree.toUri().toString(),
                    "--output", data, "--layout", "kaggle", "--rowGroupRows", "32", "--overwrite", "true"}));
            // Warm-up run: executors load libtorch and JIT-compile once, outside the measurements.
            run(spark, data, root, "warmup", "pretrain", 2, "", OVERLAPPED);
            String basis = root.resolve("warmup/model.safetensors").toUri().toString();
            double[] one = new double[3];
            double[] two = new double[3];
            double[] twoBlocking = new double[3];
            double[] ref = new double[3];
            for (int i = 0; i < 3; i++) { // alternated, so machine noise hits all four alike
                one[i] = run(spark, data, root, "one-" + i, "pretrain", 1, "", OVERLAPPED);
                two[i] = run(spark, data, root, "two-" + i, "pretrain", 2, "", OVERLAPPED);
                twoBlocking[i] = run(spark, data, root, "two-blocking-" + i, "pretrain", 2, "", BLOCKING);
                ref[i] = run(spark, data, root, "ref-" + i, "refocus", 2, basis, OVERLAPPED);
            }
            double m1 = median(one);
            double m2 = median(two);
            double m2b = median(twoBlocking);
            double mr = median(ref);
            System.out.printf("%nTRAIN BENCH %s 32 px, global batch 32, %d steps, 1 thread per rank (median of 3)%n",
                    MODEL, STEPS);
            System.out.printf("  1 rank  pretrain: %8.1f img/s%n", m1);
            System.out.printf("  2 ranks pretrain, all-reduce during backward: %8.1f img/s   scaling efficiency %.3f%n",
                    m2, m2 / (2 * m1));
            System.out.printf("  2 ranks pretrain, all-reduce after backward : %8.1f img/s   scaling efficiency %.3f%n",
                    m2b, m2b / (2 * m1));
            System.out.printf("  2 ranks refocus : %8.1f img/s   refocus/pretrain time ratio %.3f%n", mr, m2 / mr);
            spark.stop();
        }
        printAllReduceBandwidth();
    }

    private double run(SparkSession spark, String data, Path root, String name, String mode, int ranks,
                       String basis, GradientSync.Mode sync) throws Exception {
        TrainConfig c = TrainConfig.fromArgs(new String[]{"--mode", mode, "--model", MODEL, "--numClasses", "10",
                "--imageSize", "32", "--data", data, "--output", root.resolve(name).toUri().toString(), "--epochs", "1",
                "--warmupEpochs", "0", "--batch", "32", "--lr", "0.02", "--ranks", String.valueOf(ranks),
                "--maxStepsPerEpoch", String.valueOf(STEPS), "--checkpointEvery", "100000", "--checkpointIn", basis,
                "--gradientSync", sync.name()});
        return DistributedTraining.run(spark, c, 60_000)[0].imagesPerSecond();
    }

    /** Two Gloo ranks over loopback TCP (threads of this JVM), all-reducing the model's whole gradient. */
    private static void printAllReduceBandwidth() throws Exception {
        Engine.manualSeed(0);
        long numel = Modules.count(Modules.trainableParameters(
                ModelZoo.create(MODEL, ConvFactory.plain(), 3, 10, 32)).values());
        List<Double> seconds = LocalRanks.run(2, c -> {
            Tensor g = Tensors.requiresGrad(Tensors.zeros(numel), true);
            g.sum().backward();
            GradientAverager avg = new GradientAverager(c, List.of(g), GradientAverager.DEFAULT_BUCKET_BYTES);
            avg.average();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                avg.average();
                times.add((System.nanoTime() - t0) / 1e9);
            }
            return median(times.stream().mapToDouble(Double::doubleValue).toArray());
        });
        double bytes = numel * 4.0;
        System.out.printf("  all-reduce (Gloo, 2 ranks, loopback): %.1f MB gradient in %.1f ms = %.2f GB/s%n",
                bytes / 1e6, seconds.get(0) * 1e3, bytes / seconds.get(0) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
