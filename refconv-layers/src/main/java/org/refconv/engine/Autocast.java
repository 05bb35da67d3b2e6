package org.refconv.engine;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch's autocast for the current thread, as {@code with torch.autocast(device, dtype):}: inside, convolutions,
 * matrix products and linear layers run in bf16 (or fp16 on CUDA) on casts of their fp32 operands, while the
 * parameters, their gradients, BatchNorm's running statistics and whatever runs outside stay fp32. Wrap the forward
 * pass only; compute the loss in fp32 ({@link #toFloat} the logits) and run backward, the gradient all-reduce and the
 * optimizer step after {@link #close()}.
 *
 * <p>Autocast can cache the cast copy of a parameter (a leaf that requires grad) until the outermost scope ends.
 * Parameters change in place between steps, and the fused RefConv layers rewrite their Wt leaf in place at every
 * forward, so a cached copy could be a stale one: the cache is switched off inside this scope (a CNN reads each weight
 * once per forward, so it saves nothing) and cleared when the outermost scope closes, as PyTorch's context manager
 * does. The state is per thread (libtorch keeps it in thread-locals), so ranks sharing a JVM set their own.
 */
public final class Autocast implements AutoCloseable {

    private enum Kind {
        /** fp32: nothing changed. */
        INERT,
        /** Autocast switched on for one device type. */
        ENTERED,
        /** Autocast switched off for the CPU and CUDA. */
        SUSPENDED
    }

    private final Kind kind;
    private final DeviceType type;
    private final boolean wasEnabled;
    private final ScalarType previousType;
    private final boolean cacheWasEnabled;
    private final boolean cudaWasEnabled;

    private Autocast(Kind kind, DeviceType type) {
        this.kind = kind;
        this.type = type;
        this.wasEnabled = torch.is_autocast_enabled(type);
        this.previousType = torch.get_autocast_dtype(type);
        this.cacheWasEnabled = torch.is_autocast_cache_enabled();
        this.cudaWasEnabled = torch.is_autocast_enabled(DeviceType.CUDA);
    }

    /**
     * Autocast on {@code device} in the given (resolved) precision; for fp32 a scope that changes nothing, so a
     * training loop can use one code path for every precision.
     */
    public static Autocast enter(Precision precision, Device device) {
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("resolve precision auto first (Precision.resolve)");
        }
        if (precision == Precision.FP16 && !device.isCuda()) {
            throw new IllegalArgumentException("fp16 autocast runs on CUDA only, not on " + device);
        }
        DeviceType type = device.isCuda() ? DeviceType.CUDA : DeviceType.CPU;
        if (precision == Precision.FP32) {
            return new Autocast(Kind.INERT, type);
        }
        Autocast scope = new Autocast(Kind.ENTERED, type);
        torch.increment_nesting();
        torch.set_autocast_dtype(type, precision.autocastType());
        torch.set_autocast_cache_enabled(false);
        torch.set_autocast_enabled(type, true);
        return scope;
    }

    /**
     * A region computed in fp32 inside an autocast scope (as {@code torch.autocast(..., enabled=False)}), e.g. the
     * refocusing transform Wt = Wb * Wr + Wb: its result is cast once, at the convolution that uses it. Outside
     * autocast it changes nothing.
     */
    public static Autocast suspend() {
        Autocast scope = new Autocast(Kind.SUSPENDED, DeviceType.CPU);
        if (scope.wasEnabled) {
            torch.set_autocast_enabled(DeviceType.CPU, false);
        }
        if (scope.cudaWasEnabled) {
            torch.set_autocast_enabled(DeviceType.CUDA, false);
        }
        return scope;
    }

    /** True when ops on {@code device} issued by this thread now run under autocast. */
    public static boolean enabled(Device device) {
        return torch.is_autocast_enabled(device.isCuda() ? DeviceType.CUDA : DeviceType.CPU);
    }

    /** {@code t} in fp32 (itself if it is already fp32): the loss is computed from fp32 logits. */
    public static Tensor toFloat(Tensor t) {
        return t.scalar_type().intern() == ScalarType.Float ? t : t.to(ScalarType.Float);
    }

    @Override
    public void close() {
        switch (kind) {
            case INERT -> {}
            case ENTERED -> {
                torch.set_autocast_enabled(type, wasEnabled);
                torch.set_autocast_dtype(type, previousType);
                torch.set_autocast_cache_enabled(cacheWasEnabled);
                // The outermost scope drops every cached cast, as torch.autocast's __exit__ does.
                if (torch.decrement_nesting() == 0) {
                    torch.clear_cache();
                }
            }
            case SUSPENDED -> {
                if (wasEnabled) {
                    torch.set_autocast_enabled(DeviceType.CPU, true);
                }
                if (cudaWasEnabled) {
                    torch.set_autocast_enabled(DeviceType.CUDA, true);
                }
            }
        }
    }
}
