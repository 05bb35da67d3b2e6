package org.refconv.train;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeMemoryTest {

    /** cifar_quick: 257 MB measured at 64 x 32 px per rank, + 400 MB for Spark. */
    private static TrainConfig cifarQuick(int batchPerRank) {
        return TrainArgs.fashion("pretrain", "cifar_quick", "/data", "/out")
                .with("batch", 2 * batchPerRank)
                .with("ranks", 2)
                .config();
    }

    private static SparkConf conf(String master, String overhead) {
        SparkConf c = new SparkConf(false).set("spark.master", master).set("spark.executor.memory", "1g");
        return overhead == null ? c : c.set("spark.executor.memoryOverhead", overhead);
    }

    @Test
    void aTooSmallOverheadOnYarnIsNamedWithTheValueToSet() {
        assertEquals(657, NativeMemory.overheadMb("cifar_quick"));
        String w = NativeMemory.check(conf("yarn", "512m"), cifarQuick(64));
        assertTrue(w != null && w.contains("is 512m") && w.contains("spark.executor.memoryOverhead=657m"), w);
        // Spark's default: max(384 MB, 10% of the heap).
        String byDefault = NativeMemory.check(conf("yarn", null), cifarQuick(64));
        assertTrue(byDefault != null && byDefault.contains("is 384m"), byDefault);
        assertTrue(NativeMemory.check(conf("k8s://https://api:6443", "600m"), cifarQuick(8))
                .contains("Kubernetes"));
    }

    @Test
    void enoughOverheadOrNoEnforcementGivesNoWarning() {
        assertNull(NativeMemory.check(conf("yarn", "657m"), cifarQuick(64)));
        assertNull(NativeMemory.check(conf("yarn", "1g"), cifarQuick(4)));
        assertNull(NativeMemory.check(conf("local[2]", "1m"), cifarQuick(64)));
        assertNull(NativeMemory.check(conf("spark://127.0.0.1:7077", "1m"), cifarQuick(64)));
    }

    @Test
    void aBatchLargerThanMeasuredSaysTheFigureMayNotHold() {
        String w = NativeMemory.check(conf("yarn", "8g"), cifarQuick(256));
        assertTrue(w != null && w.contains("measure with NativeMemoryProbe") && w.contains("256 of 32 px"), w);
    }
}
