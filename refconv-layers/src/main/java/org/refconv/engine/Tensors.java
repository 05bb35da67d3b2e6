package org.refconv.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.refconv.checkpoint.DType;
import org.refconv.checkpoint.HostTensor;

/** Creating tensors, copying them to and from Java memory, and the autograd flag. */
public final class Tensors {

    private Tensors() {}

    public static Tensor zeros(long... shape) {
        return torch.zeros(shape);
    }

    public static Tensor ones(long... shape) {
        return torch.ones(shape);
    }

    /** Standard-normal values from libtorch's default generator (see {@link Engine#manualSeed}). */
    public static Tensor randn(long... shape) {
        return torch.randn(shape);
    }

    public static Tensor fromFloats(float[] values, long... shape) {
        checkCount(values.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Float), new MemoryFormatOptional());
        FloatPointer p = t.data_ptr_float();
        p.put(values);
        return t;
    }

    public static Tensor fromLongs(long[] values, long... shape) {
        checkCount(values.length, shape);
        Tensor t = torch.empty(shape, new TensorOptions(ScalarType.Long), new MemoryFormatOptional());
        new LongPointer(t.data_ptr()).capacity(values.length).put(values);
        return t;
    }

    /** The values of a float tensor (any device, any layout) in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().cpu().to(ScalarType.Float).contiguous();
        float[] out = new float[Math.toIntExact(c.numel())];
        c.data_ptr_float().get(out);
        return out;
    }

    /** The values of an integer tensor (any device) as int64, row-major. */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().cpu().to(ScalarType.Long).contiguous();
        long[] out = new long[Math.toIntExact(c.numel())];
        new LongPointer(c.data_ptr()).capacity(out.length).get(out);
        return out;
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }

    /**
     * Makes a parameter's gradient undefined again (libtorch's own zero_grad does the same): the next backward
     * stores its fresh gradient there rather than accumulating into the old one.
     */
    public static void dropGrad(Tensor parameter) {
        // mutable_grad() is a reference to the slot itself, so resetting it clears the parameter's gradient.
        parameter.mutable_grad().reset();
    }

    /** The address of a tensor's first element: the same for every handle of one tensor (for native code). */
    public static long address(Tensor t) {
        return t.data_ptr().address();
    }

    /** Sets a leaf's gradient to {@code grad} (what autograd would have stored there). */
    public static void setGrad(Tensor parameter, Tensor grad) {
        parameter.mutable_grad().put(grad);
    }

    /** An uninitialized tensor of {@code t}'s shape, dtype and device, for a kernel that overwrites every element. */
    public static Tensor emptyLike(Tensor t) {
        return torch.empty_like(t);
    }

    /**
     * Takes a tensor out of the enclosing {@link StepScope}, for state created during a step that must outlive it
     * (e.g. optimizer buffers). It is then freed when its Java object is collected.
     */
    public static Tensor keepAlive(Tensor t) {
        PointerScope scope = PointerScope.getInnerScope();
        if (scope != null) {
            // detach() drops the scope's reference; take one of our own first or the tensor is freed right away.
            t.retainReference();
            scope.detach(t);
        }
        return t;
    }

    /** The tensor on {@code device} (itself when it is there already). */
    public static Tensor to(Tensor t, Device device) {
        return t.to(torchDevice(device), t.scalar_type().intern());
    }

    static org.bytedeco.pytorch.Device torchDevice(Device device) {
        return new org.bytedeco.pytorch.Device(device.toString());
    }

    /** Marks a tensor as trainable (a leaf that receives .grad) or frozen. Returns it. */
    public static Tensor requiresGrad(Tensor t, boolean on) {
        t.set_requires_grad(on);
        return t;
    }

    /** A copy of a checkpoint tensor in libtorch memory, with the same dtype. */
    public static Tensor fromHost(HostTensor h) {
        Tensor t = torch.empty(h.shape(), new TensorOptions(scalarType(h.dtype())), new MemoryFormatOptional());
        long bytes = h.numel() * h.dtype().byteSize();
        if (bytes > 0) {
            ByteBuffer dst =
                    new BytePointer(t.data_ptr()).capacity(bytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            dst.put(h.data());
        }
        return t;
    }

    /** A copy of a libtorch tensor in Java memory (moved to the CPU, made contiguous). */
    public static HostTensor toHost(Tensor t) {
        Tensor c = t.detach().cpu().contiguous();
        DType dtype = dtype(c.scalar_type());
        long bytes = c.numel() * dtype.byteSize();
        ByteBuffer copy = ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes > 0) {
            copy.put(new BytePointer(c.data_ptr()).capacity(bytes).asByteBuffer());
            copy.flip();
        }
        return HostTensor.of(dtype, shape(c), copy);
    }

    static ScalarType scalarType(DType d) {
        return switch (d) {
            case F32 -> ScalarType.Float;
            case F16 -> ScalarType.Half;
            case BF16 -> ScalarType.BFloat16;
            case F64 -> ScalarType.Double;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case I16 -> ScalarType.Short;
            case I8 -> ScalarType.Char;
            case U8 -> ScalarType.Byte;
            case BOOL -> ScalarType.Bool;
        };
    }

    static DType dtype(ScalarType s) {
        // Enums returned by JavaCPP are fresh objects (ordinal 0, name null) holding only the value: intern first.
        return switch (s.intern()) {
            case Float -> DType.F32;
            case Half -> DType.F16;
            case BFloat16 -> DType.BF16;
            case Double -> DType.F64;
            case Long -> DType.I64;
            case Int -> DType.I32;
            case Short -> DType.I16;
            case Char -> DType.I8;
            case Byte -> DType.U8;
            case Bool -> DType.BOOL;
            default -> throw new IllegalArgumentException("tensor dtype " + s + " has no checkpoint equivalent");
        };
    }

    private static void checkCount(int count, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != count) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Arrays.toString(shape));
        }
    }
}
