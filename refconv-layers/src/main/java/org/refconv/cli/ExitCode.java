package org.refconv.cli;

/**
 * The exit codes of every job main (prepare, train, publish, pipeline, demo, experiment), for schedulers: 1 is worth a
 * retry with the same run id, the others need a person.
 */
public enum ExitCode {
    /** Done (for publish and the pipeline: the new version is LATEST, or the run id was already complete). */
    OK(0),
    /** A stage failed (cluster, I/O, lost executors beyond Spark's retries): rerun with the same run id to resume. */
    FAILED(1),
    /** Bad configuration or input, refused before any cluster resources were taken: fix it, do not retry as is. */
    BAD_CONFIG(2),
    /** The input tree's layout is not understood (prepare). */
    BAD_LAYOUT(3),
    /** The dataset output exists and is not this run's (prepare). */
    OUTPUT_EXISTS(4),
    /** The folded model failed verification: nothing was published. */
    VERIFICATION_FAILED(5),
    /** Published, but the gate kept LATEST on the previous version (the reason is in the model card). */
    NOT_PROMOTED(6);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /**
     * Ends the JVM with this code (Spark's non-daemon threads would otherwise keep a finished main alive). A driver in
     * cluster deploy mode that succeeded returns instead: YARN's ApplicationMaster runs the main in a thread and
     * reports any System.exit as a failed application.
     */
    public void exit() {
        if (this == OK && "cluster".equals(System.getProperty("spark.submit.deployMode"))) {
            return;
        }
        System.exit(code);
    }
}
