package org.refconv.retrain;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;
import org.refconv.config.ConfigException;
import org.refconv.data.SparkJobs;
import org.refconv.train.FixedSlots;

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
        return JobMain.parse("pipeline", () -> PipelineConfig.fromArgs(args))
                .map(PipelineJob::run)
                .orElse(ExitCode.BAD_CONFIG);
    }

    /** Checks what needs no cluster, then runs every stage in one Spark session. */
    public static ExitCode run(PipelineConfig config) {
        try {
            FixedSlots.check();
            Pipeline.preflight(config, new Configuration());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("pipeline: " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        } catch (Exception e) {
            System.err.println("pipeline: preflight failed: " + e);
            return ExitCode.FAILED;
        }
        try (SparkSession spark = SparkJobs.session("refconv-pipeline-" + config.runId(), config.master())) {
            return JobMain.run("pipeline", () -> {
                PipelineSummary summary = new Pipeline(spark).run(config);
                System.out.print(summary);
                return summary.published().promoted() ? ExitCode.OK : ExitCode.NOT_PROMOTED;
            });
        } catch (Exception e) {
            System.err.println("pipeline: run " + config.runId() + " failed (rerun with --runId " + config.runId()
                    + " to resume): " + e);
            e.printStackTrace();
            return ExitCode.FAILED;
        }
    }
}
