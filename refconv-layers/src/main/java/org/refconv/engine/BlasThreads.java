package org.refconv.engine;

import org.bytedeco.openblas.global.openblas_full;

/**
 * OpenBLAS's own thread pool, kept from competing with libtorch's OpenMP team for the cores.
 *
 * <p>Why: JavaCPP's libtorch does its matrix products (linear layers, and this project's 1×1 convolutions, see
 * {@link PointwiseConvolution}) in OpenBLAS, built with pthreads: a second pool of threads, sized to all the host's
 * cores whatever {@link Engine#setThreads} says, whose workers spin for 2<sup>28</sup> cycles (~0.1 s) after every
 * product before they sleep. The oneDNN convolutions that follow then share their cores with a spinning thread and
 * take up to twice as long (measurements: docs/engine.md). So: the pool gets the engine's thread count when the
 * environment makes its workers sleep at once (launch scripts and Spark confs export {@code OPENBLAS_THREAD_TIMEOUT},
 * which OpenBLAS reads only when it loads); otherwise products run on the calling thread alone, which costs models
 * made mostly of 1×1 convolutions (MobileNet) more.
 *
 * <p>JavaCPP maps two copies of OpenBLAS (the presets' {@code libopenblas.so.0} and {@code libopenblas_nolapack.so.0}),
 * both with the soname {@code libopenblas.so.0}; libtorch and the {@code openblas_full} bindings used here both name
 * that soname, which the dynamic linker binds to the first copy loaded, so the setting reaches the copy libtorch uses
 * (checked by its effect on a step's time, see docs/engine.md).
 */
final class BlasThreads {

    /** OpenBLAS's spin time is 2^timeout cycles; up to 2^12 (a microsecond or two) costs the convolutions nothing. */
    static final int MAX_QUIET_TIMEOUT = 12;

    /** {@code openblas_get_parallel()}: 1 = its own pthreads pool (0 = sequential build, 2 = OpenMP). */
    private static final int PTHREADS = 1;

    private BlasThreads() {}

    /** Sizes OpenBLAS's pool for an engine of {@code threads} threads; returns what was done, for a log line. */
    static String match(int threads) {
        int parallel;
        try {
            parallel = openblas_full.openblas_get_parallel();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            // Training does not depend on it: a build whose OpenBLAS bindings do not load runs with the pool as is.
            return "OpenBLAS threads left alone (its bindings did not load: " + e.getMessage() + ")";
        }
        String timeout = System.getenv("OPENBLAS_THREAD_TIMEOUT");
        int blas = threadsFor(threads, parallel, timeout);
        if (blas > 0) {
            openblas_full.openblas_set_num_threads(blas);
        }
        return describe(blas, threads, timeout);
    }

    /**
     * OpenBLAS threads for an engine of {@code threads}: the same number when its workers sleep at once, else 1;
     * 0 = leave it alone (not a pthreads build: sequential, or sharing libtorch's OpenMP team).
     */
    static int threadsFor(int threads, int parallel, String timeoutEnv) {
        if (parallel != PTHREADS) {
            return 0;
        }
        return quiet(timeoutEnv) ? threads : 1;
    }

    /**
     * True if {@code OPENBLAS_THREAD_TIMEOUT} makes idle workers sleep within 2^12 cycles. OpenBLAS takes values from 1
     * (raised to 4) up; 0, negative or unparsable ones (atoi gives 0) leave its default of 2^28.
     */
    static boolean quiet(String timeoutEnv) {
        if (timeoutEnv == null) {
            return false;
        }
        try {
            int timeout = Integer.parseInt(timeoutEnv.trim());
            return timeout >= 1 && timeout <= MAX_QUIET_TIMEOUT;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** What {@link #threadsFor} decided, and why; keyed on the same test, so an engine of 1 thread reads right too. */
    static String describe(int blas, int threads, String timeoutEnv) {
        if (blas == 0) {
            return "OpenBLAS threads left alone (not a pthreads build)";
        }
        if (quiet(timeoutEnv)) {
            return "OpenBLAS " + blas + (blas == 1 ? " thread" : " threads") + " (OPENBLAS_THREAD_TIMEOUT=" + timeoutEnv
                    + ")";
        }
        return "OpenBLAS 1 thread: its idle threads would spin against the engine's (export OPENBLAS_THREAD_TIMEOUT=4,"
                + " as deploy/bin/native-env does, to give it " + threads + ")";
    }
}
