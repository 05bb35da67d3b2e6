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
        SparkSession spark = builder.getOrCreate();
        String yarn = yarnReport(spark);
        if (yarn != null) {
            System.out.println(appName + ": " + yarn);
        }
        return spark;
    }

    /**
     * On YARN, the application id and its tracking URL (the ResourceManager's proxy to the driver's UI), as the
     * driver prints them in both deploy modes; null elsewhere. SparkSubmit prints the final status in cluster mode.
     */
    public static String yarnReport(SparkSession spark) {
        if (!spark.sparkContext().master().startsWith("yarn")) {
            return null;
        }
        org.apache.hadoop.conf.Configuration conf =
                new org.apache.hadoop.conf.Configuration(spark.sparkContext().hadoopConfiguration());
        conf.addResource("yarn-site.xml");
        String web = conf.get(
                "yarn.resourcemanager.webapp.address", conf.get("yarn.resourcemanager.hostname", "") + ":8088");
        String id = spark.sparkContext().applicationId();
        return "YARN application " + id + ", tracking URL http://" + web + "/proxy/" + id + "/";
    }
}
