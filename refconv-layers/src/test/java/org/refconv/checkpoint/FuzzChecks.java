package org.refconv.checkpoint;

import java.lang.management.ManagementFactory;

/**
 * The invariants every checkpoint fuzz target holds a parser to: only a {@link CheckpointFormatException} naming the
 * file may escape (anything else, including OutOfMemoryError, is a finding), and the parse allocates at most
 * {@link #allocationBound} on its thread.
 */
final class FuzzChecks {
    /** Jackson's buffers, exception stack traces and other fixed costs of one parse. */
    static final long FIXED_ALLOCATION = 32L << 20;
    /**
     * Per input byte: the data itself, a JSON tree of the header (a node and a list slot for every two bytes of
     * "[0,0,..."), a storage and its tensor copy. A claim the file does not back (a 10^12-element tensor, a
     * 2 GiB string in a 20-byte pickle) breaks this by orders of magnitude.
     */
    static final long ALLOCATION_PER_INPUT_BYTE = 64;

    @FunctionalInterface
    interface Parse {
        void run() throws Exception;
    }

    private FuzzChecks() {}

    static long allocationBound(byte[] input) {
        return FIXED_ALLOCATION + ALLOCATION_PER_INPUT_BYTE * input.length;
    }

    /**
     * Runs {@code parse}; rethrows anything but a format exception naming {@code source}, and checks allocation. An
     * input over the bound runs a second time before it counts: loading (and, under Jazzer, instrumenting) the
     * classes a new path needs happens once, on this thread, and is not the parser's doing.
     */
    static void onlyFormatErrors(String source, byte[] input, Parse parse) throws Exception {
        long first = allocatedBy(source, parse);
        if (first > allocationBound(input)) {
            long allocated = allocatedBy(source, parse);
            if (allocated > allocationBound(input)) {
                throw new AssertionError("allocated " + allocated + " bytes (first run " + first + ") for a "
                        + input.length + "-byte input (bound " + allocationBound(input) + ")");
            }
        }
    }

    private static long allocatedBy(String source, Parse parse) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            parse.run();
        } catch (CheckpointFormatException e) {
            if (e.getMessage() == null || !e.getMessage().contains(source)) {
                throw new AssertionError("format error without the file's name: " + e.getMessage(), e);
            }
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
