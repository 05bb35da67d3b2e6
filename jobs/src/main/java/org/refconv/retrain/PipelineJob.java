package org.refconv.retrain;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.refconv.cli.ExitCode;
import org.refconv.config.ConfigException;
import org.refconv.data.layout.LayoutException;
import org.refconv.data.prepare.OutputExistsException;
import org.refconv.publish.VerificationException;

/**
 * Job {@code pipeline}: prepare -> pretrain (without a basis) -> refocus -> publish under one run id.
 * Usage: {@code pipeline --config conf/pipeline.conf [--runId ID] [--key value ...]}. Rerun with the same
 * {@code --runId} after a failure: finished stages are skipped, a partial one resumes. Exit codes: {@link ExitCode}.
 */
public final class PipelineJob {

    private PipelineJob() {}

    public static void main(String[] args) {
        run(args).exit();
    }

    public static ExitCode run(String[] args) {
        PipelineConfig config;
        try {
            config = PipelineConfig.fromArgs(args);
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("pipeline: " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        }
        return run(config);
    }

    /** Checks what needs no cluster, then runs every stage in one Spark session. */
    public static ExitCode run(PipelineConfig config) {
        try {
            Pipeline.preflight(config, new Configuration());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("pipeline: " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        } catch (Exception e) {
            System.err.println("pipeline: preflight failed: " + e);
            return ExitCode.FAILED;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("refconv-pipeline-" + config.runId());
        if (!config.master().isEmpty()) {
            builder.master(config.master());
        }
        SparkSession spark = builder.getOrCreate();
        try {
            PipelineSummary summary = new Pipeline(spark).run(config);
            System.out.print(summary);
            return summary.published().promoted() ? ExitCode.OK : ExitCode.NOT_PROMOTED;
        } catch (ConfigException e) {
            System.err.println("pipeline: " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        } catch (LayoutException e) {
            System.err.println("pipeline: bad input layout: " + e.getMessage());
            return ExitCode.BAD_LAYOUT;
        } catch (OutputExistsException e) {
            System.err.println("pipeline: " + e.getMessage());
            return ExitCode.OUTPUT_EXISTS;
        } catch (VerificationException e) {
            System.err.println("pipeline: verification failed, nothing published: " + e.getMessage());
            return ExitCode.VERIFICATION_FAILED;
        } catch (Exception e) {
            System.err.println("pipeline: run " + config.runId() + " failed (rerun with --runId " + config.runId()
                    + " to resume): " + e);
            e.printStackTrace();
            return ExitCode.FAILED;
        } finally {
            spark.stop();
        }
    }
}
