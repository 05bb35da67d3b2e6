package org.refconv.publish;

import org.apache.hadoop.conf.Configuration;
import org.refconv.cli.ExitCode;
import org.refconv.cli.JobMain;

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
        PublishConfig config = JobMain.parseOrExit("publish", () -> PublishConfig.fromArgs(args));
        run(config, new Configuration()).exit();
    }

    /** Publishes and returns the exit code. */
    public static ExitCode run(PublishConfig config, Configuration conf) throws Exception {
        return JobMain.run("publish", () -> {
            PublishResult r = new Publisher(conf).publish(config);
            System.out.println("publish: " + r.summary());
            return r.promoted() ? ExitCode.OK : ExitCode.NOT_PROMOTED;
        });
    }
}
