package org.refconv.publish;

import org.apache.hadoop.conf.Configuration;
import org.refconv.cli.ExitCode;
import org.refconv.config.ConfigException;

/**
 * Job {@code publish}: fold, verify and publish a finished train run as a new version of its model.
 * Usage: {@code publish --config conf/publish.conf --run URI --root URI [--version V] [--key value ...]}.
 * It needs no executors (one pass over the validation split on the driver), so any {@code --master} works.
 *
 * <p>Exit codes: 0 published and promoted to LATEST (or already published), 2 bad configuration or input (nothing
 * written), 5 verification failed (nothing written), 6 published but not promoted by the gate, 1 other failure
 * (nothing promoted; rerun it).
 */
public final class PublishJob {

    private PublishJob() {}

    public static void main(String[] args) throws Exception {
        PublishConfig config;
        try {
            config = PublishConfig.fromArgs(args);
        } catch (ConfigException e) {
            System.err.println("publish: " + e.getMessage());
            ExitCode.BAD_CONFIG.exit();
            return;
        }
        run(config, new Configuration()).exit();
    }

    /** Publishes and returns the exit code. */
    public static ExitCode run(PublishConfig config, Configuration conf) throws Exception {
        try {
            PublishResult r = new Publisher(conf).publish(config);
            System.out.println("publish: " + r.summary());
            return r.promoted() ? ExitCode.OK : ExitCode.NOT_PROMOTED;
        } catch (ConfigException e) {
            System.err.println("publish: " + e.getMessage());
            return ExitCode.BAD_CONFIG;
        } catch (VerificationException e) {
            System.err.println("publish: verification failed, nothing published: " + e.getMessage());
            return ExitCode.VERIFICATION_FAILED;
        }
    }
}
