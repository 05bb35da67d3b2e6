package org.refconv.pipeline;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.refconv.config.ConfigException;
import org.refconv.data.layout.LayoutException;
import org.refconv.data.prepare.OutputExistsException;
import org.refconv.publish.PublishJob;
import org.refconv.publish.VerificationException;

/**
 * Job {@code pipeline}: prepare -> pretrain (without a basis) -> refocus -> publish under one run id.
 * Usage: {@code pipeline --config conf/pipeline.conf [--runId ID] [--key value ...]}. Rerun with the same
 * {@code --runId} after a failure: finished stages are skipped, a partial one resumes.
 *
 * <p>Exit codes, for schedulers:
 * <ul>
 *   <li>0: done, the new version is LATEST (or the run id was already complete);</li>
 *   <li>1: a stage failed (cluster, I/O, ...): rerun with the same runId to resume;</li>
 *   <li>2: bad configuration or missing input: nothing was started; fix the config, do not retry as is;</li>
 *   <li>3: the input tree's layout is not understood (prepare);</li>
 *   <li>4: the dataset output exists and is not this run's (prepare);</li>
 *   <li>5: the folded model failed verification: nothing was published; investigate;</li>
 *   <li>6: published, but the gate kept LATEST on the previous version (see the reason).</li>
 * </ul>
 */
public final class PipelineJob {

    public static final int FAILED = 1;
    public static final int BAD_CONFIG = 2;
    public static final int BAD_LAYOUT = 3;
    public static final int OUTPUT_EXISTS = 4;

    private PipelineJob() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        PipelineConfig config;
        try {
            config = PipelineConfig.fromArgs(args);
            Pipeline.preflight(config, new Configuration());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("pipeline: " + e.getMessage());
            return BAD_CONFIG;
        } catch (Exception e) {
            System.err.println("pipeline: preflight failed: " + e);
            return FAILED;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("refconv-pipeline-" + config.runId());
        if (!config.master().isEmpty()) {
            builder.master(config.master());
        }
        SparkSession spark = builder.getOrCreate();
        try {
            PipelineSummary summary = new Pipeline(spark).run(config);
            System.out.print(summary);
            return summary.published().promoted() ? 0 : PublishJob.NOT_PROMOTED;
        } catch (ConfigException e) {
            System.err.println("pipeline: " + e.getMessage());
            return BAD_CONFIG;
        } catch (LayoutException e) {
            System.err.println("pipeline: bad input layout: " + e.getMessage());
            return BAD_LAYOUT;
        } catch (OutputExistsException e) {
            System.err.println("pipeline: " + e.getMessage());
            return OUTPUT_EXISTS;
        } catch (VerificationException e) {
            System.err.println("pipeline: verification failed, nothing published: " + e.getMessage());
            return PublishJob.VERIFICATION_FAILED;
        } catch (Exception e) {
            System.err.println("pipeline: run " + config.runId() + " failed (rerun with --runId " + config.runId()
                    + " to resume): " + e);
            e.printStackTrace();
            return FAILED;
        } finally {
            spark.stop();
        }
    }
}
