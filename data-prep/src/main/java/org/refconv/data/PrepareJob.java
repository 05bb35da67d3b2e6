package org.refconv.data;

import org.apache.spark.sql.SparkSession;
import org.refconv.config.ConfigException;
import org.refconv.data.layout.LayoutException;
import org.refconv.data.prepare.OutputExistsException;
import org.refconv.data.prepare.PrepareConfig;
import org.refconv.data.prepare.PrepareSummary;
import org.refconv.data.prepare.Preparer;

/**
 * Spark job {@code prepare}: ImageNet-style image folders to Parquet shards.
 *
 * <pre>
 * PrepareJob --config conf/prepare.conf --input hdfs://.../imagenet --output hdfs://.../imagenet-shards [--overwrite]
 * </pre>
 *
 * Exit codes: 0 done (the summary counts quarantined images), 2 bad configuration, 3 bad input layout,
 * 4 output exists.
 */
public final class PrepareJob {
    private PrepareJob() {}

    public static void main(String[] args) throws Exception {
        PrepareConfig config;
        try {
            config = PrepareConfig.fromArgs(args);
        } catch (ConfigException e) {
            System.err.println("prepare: " + e.getMessage());
            System.exit(2);
            return;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("refconv-prepare");
        if (!config.master().isEmpty()) {
            builder.master(config.master());
        }
        int exit = 0;
        SparkSession spark = builder.getOrCreate();
        try {
            PrepareSummary summary = new Preparer(spark).run(config);
            System.out.print(summary);
        } catch (LayoutException e) {
            System.err.println("prepare: bad input layout: " + e.getMessage());
            exit = 3;
        } catch (OutputExistsException e) {
            System.err.println("prepare: " + e.getMessage());
            exit = 4;
        } finally {
            spark.stop();
        }
        System.exit(exit);
    }
}
