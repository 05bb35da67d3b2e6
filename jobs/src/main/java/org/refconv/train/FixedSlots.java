package org.refconv.train;

import org.apache.spark.SparkConf;
import org.refconv.config.ConfigException;

/**
 * Training runs as one barrier stage: all its ranks start together or none does, so the executors must be fixed
 * for the whole run. Dynamic allocation would release idle executors between stages and then add them one by one,
 * which a barrier stage cannot use (Spark refuses it, after the executors were requested). Checked on the driver
 * before the session takes any resource.
 */
public final class FixedSlots {

    private FixedSlots() {}

    /** The settings as spark-submit passes them to the driver (spark.* system properties). */
    public static void check() {
        check(new SparkConf());
    }

    /** @throws ConfigException when {@code spark.dynamicAllocation.enabled} is true */
    public static void check(SparkConf conf) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new ConfigException("spark.dynamicAllocation.enabled = true: training runs as a barrier stage,"
                    + " which needs all its ranks' task slots at once for the whole run (fixed executors); set"
                    + " spark.dynamicAllocation.enabled=false and spark.executor.instances >= ranks x"
                    + " spark.task.cpus / spark.executor.cores");
        }
    }
}
