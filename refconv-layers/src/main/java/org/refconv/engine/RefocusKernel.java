package org.refconv.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.Supplier;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The refocusing transform of dense 3x3 convs (groups G = n2d, one 3x3 refocusing kernel per 2-D kernel) as one
 * fused native pass per direction: {@code forward} writes Wt = Wb * Wr (+ Wb), {@code backward} writes (or adds) dWr
 * from dWt. libtorch runs the same transform as a depthwise convolution of a 1 x n2d x 3 x 3 image, which costs six
 * oneDNN layout reorders per layer and step and several times the memory traffic; see src/main/c/refocus_kernel.c.
 *
 * <p>The library is built from that C file by the module's Maven build (gcc, AVX-512 vector path with a scalar one
 * for the rest) and travels in the jar; on a machine where it does not load or the CPU lacks AVX-512,
 * {@link #available()} is false and RefConv layers use libtorch's transform (same results, slower).
 * {@code -Drefconv.fusedTransform=false} turns the fused path off, for side-by-side benchmarks.
 */
public final class RefocusKernel {

    private static final String RESOURCE = "/org/refconv/engine/linux-x86_64/librefocus_kernel.so";
    private static final String STATUS;
    private static final boolean LOADED;
    /** Loaded and the CPU has AVX-512: the fused path is faster than libtorch's. */
    private static final boolean USABLE;
    /** A scoped choice for layers built on this thread ({@link #withFusedTransform}); null: the system property. */
    private static final ThreadLocal<Boolean> CHOICE = new ThreadLocal<>();
    /** Set while {@link #withFusedTransformForced} builds on this thread. */
    private static final ThreadLocal<Boolean> FORCED = new ThreadLocal<>();

    static {
        String status;
        boolean loaded = false;
        boolean vectorized = false;
        try {
            load();
            loaded = true;
            vectorized = vectorized0();
            status = vectorized ? "fused (AVX-512)" : "fused kernel loaded, but the CPU has no AVX-512";
        } catch (IOException | UnsatisfiedLinkError | IllegalStateException e) {
            status = "fused kernel not loaded (" + e.getMessage() + ")";
        }
        LOADED = loaded;
        USABLE = vectorized;
        STATUS = status;
    }

    private RefocusKernel() {}

    /**
     * True when RefConv layers built now should use the fused transform: usable, and not switched off (by
     * {@link #withFusedTransform} on this thread, else by {@code -Drefconv.fusedTransform=false}).
     */
    public static boolean available() {
        if (FORCED.get() != null) {
            return LOADED;
        }
        Boolean choice = CHOICE.get();
        boolean on =
                choice != null ? choice : Boolean.parseBoolean(System.getProperty("refconv.fusedTransform", "true"));
        return USABLE && on;
    }

    /**
     * Builds something with the fused transform switched on or off for the RefConv layers it constructs on this
     * thread (a layer decides when it is built), e.g. the same model both ways in one process.
     */
    public static <T> T withFusedTransform(boolean on, Supplier<T> build) {
        Boolean before = CHOICE.get();
        CHOICE.set(on);
        try {
            return build.get();
        } finally {
            CHOICE.set(before);
        }
    }

    /**
     * Builds something whose RefConv layers use the fused transform wherever the library loaded, AVX-512 or not (the
     * kernel then runs its scalar code: same results, slower): for tests of the fused path on any machine.
     */
    public static <T> T withFusedTransformForced(Supplier<T> build) {
        Boolean before = FORCED.get();
        FORCED.set(Boolean.TRUE);
        try {
            return build.get();
        } finally {
            FORCED.set(before);
        }
    }

    /** One line for logs: which transform RefConv layers of this process use, and why. */
    public static String status() {
        if (available()) {
            return STATUS;
        }
        return USABLE ? "libtorch (fused transform switched off)" : "libtorch (" + STATUS + ")";
    }

    /** Wt = Wb * Wr (+ Wb) into {@code out}, which has Wb's shape; all three contiguous float32 on the CPU. */
    public static void forward(Tensor basis, Tensor refocusing, Tensor out, boolean identity) {
        forward(basis, refocusing, out, identity, true);
    }

    /** dWr (= or +=, by {@code accumulate}) from dWt; {@code gradOut} has Wb's shape, {@code gradRefocusing} Wr's. */
    public static void backward(Tensor basis, Tensor gradOut, Tensor gradRefocusing, boolean accumulate) {
        backward(basis, gradOut, gradRefocusing, accumulate, true);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor, boolean)}; {@code vector = false} runs the scalar code only. */
    static void forward(Tensor basis, Tensor refocusing, Tensor out, boolean identity, boolean vector) {
        long n2d = checkOperands("forward", basis, refocusing, out);
        forward0(
                Tensors.address(basis),
                Tensors.address(refocusing),
                Tensors.address(out),
                n2d,
                identity,
                Engine.threads(),
                vector);
    }

    static void backward(Tensor basis, Tensor gradOut, Tensor gradRefocusing, boolean accumulate, boolean vector) {
        long n2d = checkOperands("backward", basis, gradRefocusing, gradOut);
        backward0(
                Tensors.address(basis),
                Tensors.address(gradOut),
                Tensors.address(gradRefocusing),
                n2d,
                accumulate,
                Engine.threads(),
                vector);
    }

    /** The native code reads raw memory: every operand is checked here, and n2d returned. */
    private static long checkOperands(String what, Tensor basis, Tensor refocusing, Tensor weightShaped) {
        if (!LOADED) {
            throw new IllegalStateException("refocusing kernel " + what + ": " + STATUS);
        }
        long[] shape = Tensors.shape(basis);
        if (shape.length != 4 || shape[2] != 3 || shape[3] != 3) {
            throw new IllegalArgumentException(
                    "refocusing kernel " + what + ": basis must be [Cout, Cin/g, 3, 3], got " + Arrays.toString(shape));
        }
        long n2d = shape[0] * shape[1];
        check(what, "basis", basis, n2d);
        check(what, "refocusing weight (or its gradient)", refocusing, n2d);
        check(what, "transformed weight (or its gradient)", weightShaped, n2d);
        return n2d;
    }

    private static void check(String what, String name, Tensor t, long n2d) {
        boolean fits = t.scalar_type().intern() == torch.ScalarType.Float
                && t.is_contiguous()
                && !t.is_cuda()
                && t.numel() == n2d * 9;
        if (!fits) {
            throw new IllegalArgumentException("refocusing kernel " + what + ": " + name + " must be a contiguous "
                    + "float32 CPU tensor of " + n2d * 9 + " values, got " + t.scalar_type() + " "
                    + Arrays.toString(Tensors.shape(t)) + (t.is_contiguous() ? "" : " (not contiguous)")
                    + (t.is_cuda() ? " on CUDA" : ""));
        }
    }

    private static void load() throws IOException {
        if (!System.getProperty("os.name", "").startsWith("Linux")
                || !System.getProperty("os.arch", "").equals("amd64")) {
            throw new IllegalStateException("built for linux-x86_64 only, this is " + System.getProperty("os.name")
                    + "-" + System.getProperty("os.arch"));
        }
        try (InputStream in = RefocusKernel.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        RESOURCE + " is not on the class path (was the module built without" + " gcc?)");
            }
            // A private copy per process: executors of one host must not overwrite a library another one has mapped.
            Path file = Files.createTempFile("refocus_kernel", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
        }
    }

    private static native boolean vectorized0();

    private static native void forward0(
            long basis, long refocusing, long out, long n2d, boolean identity, int threads, boolean vector);

    private static native void backward0(
            long basis, long gradOut, long gradRefocusing, long n2d, boolean accumulate, int threads, boolean vector);
}
