package org.refconv.data;

import org.apache.spark.sql.SparkSession;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;
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
        PrepareConfig config = JobMain.parseOrExit("prepare", () -> PrepareConfig.fromArgs(args));
        ExitCode exit;
        try (SparkSession spark = SparkJobs.session("refconv-prepare", config.get(PrepareConfig.MASTER))) {
            exit = JobMain.run("prepare", () -> {
                PrepareSummary summary = new Preparer(spark).run(config);
                System.out.print(summary);
                return ExitCode.OK;
            });
        }
        exit.exit();
    }
}
