package org.refconv.data;

import org.apache.spark.sql.SparkSession;
import org.refconv.cli.ExitCode;
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
 * Exit codes ({@link ExitCode}): OK (the summary counts quarantined images), BAD_CONFIG, BAD_LAYOUT, OUTPUT_EXISTS.
 */
public final class PrepareJob {
    private PrepareJob() {}

    public static void main(String[] args) throws Exception {
        PrepareConfig config;
        try {
            config = PrepareConfig.fromArgs(args);
        } catch (ConfigException e) {
            System.err.println("prepare: " + e.getMessage());
            ExitCode.BAD_CONFIG.exit();
            return;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("refconv-prepare");
        if (!config.get(PrepareConfig.MASTER).isEmpty()) {
            builder.master(config.get(PrepareConfig.MASTER));
        }
        ExitCode exit = ExitCode.OK;
        SparkSession spark = builder.getOrCreate();
        try {
            PrepareSummary summary = new Preparer(spark).run(config);
            System.out.print(summary);
        } catch (LayoutException e) {
            System.err.println("prepare: bad input layout: " + e.getMessage());
            exit = ExitCode.BAD_LAYOUT;
        } catch (OutputExistsException e) {
            System.err.println("prepare: " + e.getMessage());
            exit = ExitCode.OUTPUT_EXISTS;
        } finally {
            spark.stop();
        }
        exit.exit();
    }
}
