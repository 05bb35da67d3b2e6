package org.refconv.train;

import java.nio.file.Path;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.refconv.cli.ExitCode;
import org.refconv.config.ConfigException;
import org.refconv.publish.TinyPipeline;
import org.refconv.retrain.PipelineJob;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FixedSlotsTest {

    @Test
    void dynamicAllocationIsRefusedSayingWhy() {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> FixedSlots.check(new SparkConf(false).set("spark.dynamicAllocation.enabled", "true")));
        assertTrue(e.getMessage().contains("barrier stage"), e.getMessage());
        assertDoesNotThrow(() -> FixedSlots.check(new SparkConf(false)));
        assertDoesNotThrow(
                () -> FixedSlots.check(new SparkConf(false).set("spark.dynamicAllocation.enabled", "false")));
    }

    /**
     * The pipeline refuses it as a bad configuration before its Spark session: without the check the same call gets
     * past preflight and fails later (FAILED: no master here), so BAD_CONFIG comes from the check alone.
     */
    @Test
    void thePipelineRefusesDynamicAllocationBeforeAnySparkContext() throws Exception {
        Path dir = TinyPipeline.fresh(Path.of("target", "fixed-slots").toAbsolutePath());
        Path tree = dir.resolve("tree");
        TinyPipeline.writeTree(tree);
        String[] args = TinyPipeline.args(
                dir.resolve("work").toUri().toString(),
                tree.toUri().toString(),
                dir.resolve("models").toUri().toString(),
                "dyn");
        System.setProperty("spark.dynamicAllocation.enabled", "true");
        try {
            assertEquals(ExitCode.BAD_CONFIG, PipelineJob.run(args));
        } finally {
            System.clearProperty("spark.dynamicAllocation.enabled");
        }
    }
}
