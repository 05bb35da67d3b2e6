package org.refconv.engine;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The arithmetic a training step runs in: {@code fp32}, {@code bf16} or {@code fp16} autocast (master weights,
 * optimizer state, loss and BatchNorm statistics stay fp32 in every mode), or {@code auto}, which each rank
 * {@link #resolve resolves} from its own hardware. fp16 needs dynamic loss scaling ({@link
 * org.refconv.optim.LossScaler}) and runs on CUDA only: the CPU has no fp16 convolutions worth using.
 */
public enum Precision {
    FP32,
    BF16,
    FP16,
    AUTO;

    /** Parses "fp32", "bf16", "fp16" or "auto" (any case; "float32", "bfloat16" and "float16" too). */
    public static Precision parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            case "fp16", "float16", "half" -> FP16;
            case "auto" -> AUTO;
            default ->
                throw new IllegalArgumentException(
                        "unknown precision '" + text + "': expected fp32, bf16, fp16 or auto");
        };
    }

    /** The name in configuration files. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The dtype autocast computes in, or null for fp32 (no autocast) and for the unresolved {@code auto}. */
    public ScalarType autocastType() {
        return switch (this) {
            case BF16 -> ScalarType.BFloat16;
            case FP16 -> ScalarType.Half;
            case FP32, AUTO -> null;
        };
    }

    /** True for fp16: its 5-bit exponent underflows small gradients unless the loss is scaled. */
    public boolean needsLossScaling() {
        return this == FP16;
    }

    /**
     * What this precision means on {@code device} of this host: {@code auto} becomes bf16 on a CPU with AVX512_BF16
     * or AMX (else fp32), and on CUDA bf16 from compute capability 8 (Ampere), fp16 on 7.x (tensor cores) and fp32
     * otherwise or when the capability cannot be read; fp16 on the CPU is refused. bf16 asked for explicitly is kept
     * on any CPU (correct, but emulated and slow without those instructions: {@link #describe} says so).
     */
    public Resolved resolve(Device device) {
        return resolve(
                device,
                device.isCuda() ? Hardware.NONE : Hardware.cpu(),
                device.isCuda() ? Hardware.cudaCapabilityMajor(device.index()) : OptionalInt.empty());
    }

    /** {@link #resolve(Device)} with the hardware given: the decision alone, testable on any machine. */
    public Resolved resolve(Device device, Hardware cpu, OptionalInt cudaMajor) {
        if (this == FP16 && !device.isCuda()) {
            throw new IllegalArgumentException("precision fp16 runs on CUDA only (it needs loss scaling and the "
                    + "CPU has no fast fp16 convolutions); use bf16 or auto on " + device);
        }
        if (this != AUTO) {
            String why = "asked for";
            if (this == BF16 && !device.isCuda() && !cpu.hasBf16Compute()) {
                why = "asked for; this CPU has no AVX512_BF16 or AMX, so bf16 is emulated and slower than fp32";
            } else if (this == BF16 && device.isCuda() && cudaMajor.isPresent() && cudaMajor.getAsInt() < 8) {
                why = "asked for; compute capability " + cudaMajor.getAsInt() + ".x has no native bf16";
            }
            return new Resolved(this, this, device, why);
        }
        if (!device.isCuda()) {
            return cpu.hasBf16Compute()
                    ? new Resolved(this, BF16, device, "auto: the CPU has " + cpu.bf16Flags())
                    : new Resolved(this, FP32, device, "auto: the CPU has no AVX512_BF16 or AMX");
        }
        if (cudaMajor.isEmpty()) {
            return new Resolved(this, FP32, device, "auto: compute capability unknown (not a CUDA build?)");
        }
        int major = cudaMajor.getAsInt();
        if (major >= 8) {
            return new Resolved(this, BF16, device, "auto: compute capability " + major + ".x has bf16");
        }
        if (major == 7) {
            return new Resolved(this, FP16, device, "auto: compute capability 7.x, fp16 tensor cores, loss scaled");
        }
        return new Resolved(this, FP32, device, "auto: compute capability " + major + ".x has no fast half types");
    }

    /** The outcome of {@link #resolve}: what was asked, what runs (never {@code auto}) and why, for a rank's log. */
    public record Resolved(Precision requested, Precision effective, Device device, String reason) {

        public Resolved {
            if (effective == AUTO) {
                throw new IllegalArgumentException("a resolved precision cannot be auto");
            }
        }

        /** One line each rank prints, e.g. "precision bf16 on cpu (auto: the CPU has avx512_bf16)". */
        public String describe() {
            return "precision " + effective.configName() + " on " + device + " (" + reason + ")";
        }
    }

    /** The CPU features the choice depends on: the flags of /proc/cpuinfo. */
    public record Hardware(Set<String> cpuFlags) {

        static final Hardware NONE = new Hardware(Set.of());

        /** Flags meaning the CPU computes bf16 dot products natively (oneDNN's fast bf16 kernels need one). */
        static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");

        public Hardware {
            cpuFlags = Set.copyOf(cpuFlags);
        }

        /** This host's flags (none where /proc/cpuinfo cannot be read: then auto stays fp32). */
        public static Hardware cpu() {
            try {
                return fromCpuinfo(Files.readString(Path.of("/proc/cpuinfo")));
            } catch (IOException | RuntimeException e) {
                return NONE;
            }
        }

        /** The flags of the first processor in a /proc/cpuinfo text ("flags" on x86). */
        public static Hardware fromCpuinfo(String cpuinfo) {
            for (String line : cpuinfo.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                    return new Hardware(Set.copyOf(
                            Arrays.asList(line.substring(colon + 1).trim().split("\\s+"))));
                }
            }
            return NONE;
        }

        public boolean hasBf16Compute() {
            return cpuFlags.stream().anyMatch(BF16_FLAGS::contains);
        }

        String bf16Flags() {
            return String.join(
                    " and ",
                    new TreeSet<>(cpuFlags.stream().filter(BF16_FLAGS::contains).toList()));
        }

        /**
         * The major compute capability of a CUDA device, read through the GPU build's {@code torch_cuda} (by
         * reflection: its cudaDeviceProp type is absent from the CPU build); empty where that fails.
         */
        static OptionalInt cudaCapabilityMajor(int index) {
            try {
                Class<?> cuda = Class.forName("org.bytedeco.pytorch.global.torch_cuda");
                Method props = cuda.getMethod("getDeviceProperties", byte.class);
                Object p = props.invoke(null, (byte) index);
                return OptionalInt.of((Integer) p.getClass().getMethod("major").invoke(p));
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                return OptionalInt.empty();
            }
        }
    }
}
