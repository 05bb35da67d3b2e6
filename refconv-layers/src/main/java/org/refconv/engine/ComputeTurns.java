package org.refconv.engine;

import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether threads of one process that drive libtorch side by side (ranks of a training job placed in the same JVM:
 * Spark local mode, or an executor running two tasks of the barrier stage) take turns at native compute.
 *
 * <p>Why: the oneDNN inside libtorch 2.10 (v3.7.1) picks convolution kernels in a way that is not safe when two threads
 * do it at once. A lone thread gets {@code jit:avx512_core} for the backward-data pass of a 5×5 channels-last
 * convolution; two threads creating theirs at the same moment sometimes get {@code brg_conv_bwd:avx512_core}, which
 * crashes the JVM (SIGSEGV in {@code brgemm_convolution_fwd_t::init_batch}). Taking turns was the one remedy that
 * stopped the crashes at no cost to other jobs (the measurements and the alternatives tried: docs/engine.md). Ranks
 * in separate JVMs, one rank per executor as a cluster should run, are not affected and do not take turns.
 *
 * <p>The turns are process-wide and fair, so ranks sharing a JVM alternate. Only native compute (forward and backward)
 * is taken in turns, never a collective: a rank waiting in an all-reduce for a rank that waits for its turn would
 * deadlock, which is why such ranks average gradients after backward, not during it.
 */
public final class ComputeTurns {

    /** Each thread computes whenever it likes: the ranks are in separate JVMs. */
    public static final ComputeTurns NONE = new ComputeTurns(false);
    /** Threads take turns, one at a time in the whole process. */
    public static final ComputeTurns EXCLUSIVE = new ComputeTurns(true);

    private static final ReentrantLock PROCESS_TURN = new ReentrantLock(true);
    private static final Turn NO_TURN = () -> {};
    private static final Turn END_PROCESS_TURN = PROCESS_TURN::unlock;

    private final boolean exclusive;

    private ComputeTurns(boolean exclusive) {
        this.exclusive = exclusive;
    }

    /** {@link #EXCLUSIVE} when ranks share this JVM, else {@link #NONE}. */
    public static ComputeTurns forRanksSharingAJvm(boolean sharing) {
        return sharing ? EXCLUSIVE : NONE;
    }

    public boolean exclusive() {
        return exclusive;
    }

    /** Waits for this thread's turn (at once when not exclusive); closing the turn lets the next thread go. */
    public Turn take() {
        if (!exclusive) {
            return NO_TURN;
        }
        PROCESS_TURN.lock();
        return END_PROCESS_TURN;
    }

    /** A turn at native compute; {@link #close()} ends it. */
    @FunctionalInterface
    public interface Turn extends AutoCloseable {
        @Override
        void close();
    }
}
