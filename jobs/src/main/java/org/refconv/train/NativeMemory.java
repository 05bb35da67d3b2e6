package org.refconv.train;

import java.util.Locale;
import java.util.Map;

import org.apache.spark.SparkConf;

/**
 * libtorch's memory lives outside the Java heap, so YARN (and Kubernetes) count it against
 * {@code spark.executor.memoryOverhead} and kill an executor that goes past heap + overhead. This is the native peak
 * of one rank measured per zoo model (the larger of pretrain and refocus, at the per-rank batch and image size of
 * the confs: docs/testbed.md, "Native memory per rank"), and the check a driver makes before it asks for executors:
 * a warning naming the overhead to set when the configured one is smaller. A warning, not a refusal: the figures
 * hold for the measured batch and image size only (memory grows with both; measure yours with NativeMemoryProbe).
 */
public final class NativeMemory {

    /** Spark's own off-heap use in an executor besides libtorch (Netty buffers, the barrier stage's shuffle). */
    static final int SPARK_OFF_HEAP_MB = 400;

    /** Model -> {native peak MB, per-rank batch, image px} as measured. */
    private static final Map<String, int[]> MEASURED = Map.of(
            "cifar_quick", new int[] {257, 64, 32},
            "resnet18_small", new int[] {1064, 64, 32},
            "mobilenet_v3_small", new int[] {1037, 32, 224},
            "shufflenet_v2_x1_0", new int[] {1479, 32, 224},
            "resnet18", new int[] {1941, 32, 224},
            "mobilenet_v3_large", new int[] {2686, 32, 224},
            "resnet34", new int[] {2590, 32, 224},
            "mobilenet_v2", new int[] {3782, 32, 224},
            "resnet50", new int[] {5778, 32, 224});

    private NativeMemory() {}

    /** The overhead (MB) one rank of {@code model} needs, or -1 when it was not measured. */
    public static int overheadMb(String model) {
        int[] m = MEASURED.get(model);
        return m == null ? -1 : m[0] + SPARK_OFF_HEAP_MB;
    }

    /** Prints {@link #check}'s warning, if any, on the driver's stderr. */
    public static void warn(SparkConf conf, TrainConfig config) {
        String w = check(conf, config);
        if (w != null) {
            System.err.println("train: warning: " + w);
        }
    }

    /**
     * A warning when the executors' overhead is below what the model needs (one rank per executor), or null. Only
     * where the cluster manager enforces it (YARN, Kubernetes); Spark's default overhead is max(384 MB, 10% of
     * spark.executor.memory).
     */
    public static String check(SparkConf conf, TrainConfig config) {
        String master = conf.get("spark.master", "");
        if (!master.startsWith("yarn") && !master.startsWith("k8s")) {
            return null;
        }
        int need = overheadMb(config.model());
        if (need < 0) {
            return null;
        }
        long heapMb = conf.getSizeAsMb("spark.executor.memory", "1g");
        long overheadMb = conf.contains("spark.executor.memoryOverhead")
                ? conf.getSizeAsMb("spark.executor.memoryOverhead", "0")
                : Math.max(384, heapMb / 10);
        int[] m = MEASURED.get(config.model());
        String scale = config.batchPerRank() > m[1] || config.imageSize() > m[2]
                ? String.format(
                        Locale.ROOT,
                        " (measured at %d images of %d px per rank; yours are %d of %d px: measure with"
                                + " NativeMemoryProbe)",
                        m[1],
                        m[2],
                        config.batchPerRank(),
                        config.imageSize())
                : "";
        if (overheadMb >= need && scale.isEmpty()) {
            return null;
        }
        if (overheadMb >= need) {
            return "spark.executor.memoryOverhead " + overheadMb + "m covers " + config.model() + "'s measured native"
                    + " peak" + scale;
        }
        return String.format(
                Locale.ROOT,
                "spark.executor.memoryOverhead is %dm but one %s rank needs ~%dm outside the heap (libtorch's native"
                        + " peak + %d MB for Spark): %s kills executors over heap + overhead; set"
                        + " spark.executor.memoryOverhead=%dm (docs/testbed.md)%s",
                overheadMb,
                config.model(),
                need,
                SPARK_OFF_HEAP_MB,
                master.startsWith("yarn") ? "YARN" : "Kubernetes",
                need,
                scale);
    }
}
