package org.refconv.engine;

import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide settings of the tensor engine (libtorch): threads, seeds, which devices exist.
 *
 * <p>OpenMP spin-waiting doubles step time on a small shared machine, so launch scripts also export
 * {@code OMP_WAIT_POLICY=PASSIVE}; it has to be in the environment before libtorch loads. For the same reason they
 * export {@code OPENBLAS_THREAD_TIMEOUT=4} (see {@link BlasThreads}).
 */
public final class Engine {

    private Engine() {}

    /**
     * Intra-op threads for this process, and OpenBLAS's pool sized to match (see {@link BlasThreads}). Call before the
     * first operation; later calls still apply. Returns what was set, for a log line.
     */
    public static String setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        torch.set_num_threads(threads);
        return threads + (threads == 1 ? " thread, " : " threads, ") + BlasThreads.match(threads);
    }

    public static int threads() {
        return torch.get_num_threads();
    }

    /** Seeds libtorch's default generator (used by random init and random tensors). */
    public static void manualSeed(long seed) {
        torch.manual_seed(seed);
    }

    public static boolean cudaAvailable() {
        try {
            return torch.cuda_is_available();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    public static int cudaDeviceCount() {
        return cudaAvailable() ? torch.cuda_device_count() : 0;
    }

    /** Fails with a clear message when a CUDA device is asked for on a machine or build without it. */
    public static void requireAvailable(Device device) {
        if (!device.isCuda()) {
            return;
        }
        int count = cudaDeviceCount();
        if (count == 0) {
            throw new IllegalStateException("device " + device + " requested but CUDA is not available "
                    + "(CPU build of libtorch, or no GPU/driver on this host); build with -Pgpu and run on a GPU node");
        }
        if (device.index() >= count) {
            throw new IllegalStateException(
                    "device " + device + " requested but only " + count + " CUDA device(s) exist");
        }
    }
}
