package org.refconv.data;

import org.apache.spark.sql.SparkSession;

/** The Spark session of a job main. */
public final class SparkJobs {

    private SparkJobs() {}

    /**
     * A session named {@code appName}; {@code master} empty leaves the master to spark-submit (or
     * {@code spark.master}), as on a cluster. Closing the session stops it.
     */
    public static SparkSession session(String appName, String master) {
        SparkSession.Builder builder = SparkSession.builder().appName(appName);
        if (!master.isEmpty()) {
            builder.master(master);
        }
        return builder.getOrCreate();
    }
}
