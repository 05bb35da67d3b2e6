package org.refconv.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable tensor in Java heap memory: a dtype, a shape and the elements' little-endian bytes in row-major
 * order. This is what checkpoints are read into and written from, independent of any tensor engine.
 */
public final class HostTensor {
    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final byte[] bytes;

    private HostTensor(DType dtype, long[] shape, byte[] bytes) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.numel = numel(this.shape);
        long expected = numel * dtype.byteSize();
        if (bytes.length != expected) {
            throw new IllegalArgumentException("a " + dtype + " tensor of shape " + Arrays.toString(shape) + " needs "
                    + numel + " x " + dtype.byteSize() + " = " + expected + " bytes, got " + bytes.length);
        }
        this.bytes = bytes;
    }

    /** A tensor over {@code bytes} without copying them: for readers that just allocated the array. */
    static HostTensor wrap(DType dtype, long[] shape, byte[] bytes) {
        return new HostTensor(dtype, shape, bytes);
    }

    /** A copy of {@code littleEndianBytes}' remaining bytes (its position is left unchanged). */
    public static HostTensor of(DType dtype, long[] shape, ByteBuffer littleEndianBytes) {
        byte[] copy = new byte[littleEndianBytes.remaining()];
        littleEndianBytes.duplicate().get(copy);
        return new HostTensor(dtype, shape, copy);
    }

    public static HostTensor ofFloats(long[] shape, float[] values) {
        ByteBuffer buffer = allocate((long) values.length * Float.BYTES);
        buffer.asFloatBuffer().put(values);
        return new HostTensor(DType.F32, shape, buffer.array());
    }

    public static HostTensor ofLongs(long[] shape, long[] values) {
        ByteBuffer buffer = allocate((long) values.length * Long.BYTES);
        buffer.asLongBuffer().put(values);
        return new HostTensor(DType.I64, shape, buffer.array());
    }

    /**
     * The product of the dimensions ({@code 1} for a scalar).
     *
     * @throws IllegalArgumentException on a negative dimension or a product beyond what a Java array can hold
     */
    static long numel(long[] shape) {
        long product = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                product = Math.multiplyExact(product, dim);
            } catch (ArithmeticException overflow) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^63 elements");
            }
        }
        return product;
    }

    /** {@code size} bytes as an array length: a tensor lives in one Java array, so it is limited to 2 GiB. */
    static int arrayLength(long size) {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a tensor of " + size + " bytes does not fit in one Java array (2 GiB)");
        }
        return (int) size;
    }

    /** A zeroed little-endian heap buffer of {@code size} bytes. */
    static ByteBuffer allocate(long size) {
        return ByteBuffer.allocate(arrayLength(size)).order(ByteOrder.LITTLE_ENDIAN);
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return numel;
    }

    /** Read-only little-endian view of the elements, position 0. */
    public ByteBuffer data() {
        return ByteBuffer.wrap(bytes).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
    }

    /** The elements converted to float32 the way PyTorch's {@code tensor.float()} does (round to nearest). */
    public float[] toFloatArray() {
        ByteBuffer in = data();
        float[] out = new float[(int) numel];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case F32 -> in.getFloat();
                case F16 -> halfToFloat(in.getShort());
                case BF16 -> Float.intBitsToFloat((in.getShort() & 0xffff) << 16);
                case F64 -> (float) in.getDouble();
                case I64 -> (float) in.getLong();
                case I32 -> (float) in.getInt();
                case I16 -> in.getShort();
                case I8 -> in.get();
                case U8, BOOL -> in.get() & 0xff;
            };
        }
        return out;
    }

    /**
     * The elements of an integer or bool tensor as longs (U8 unsigned, BOOL as 0/1).
     *
     * @throws IllegalStateException for a floating-point tensor: silently truncating weights is never wanted
     */
    public long[] toLongArray() {
        if (dtype.isFloatingPoint()) {
            throw new IllegalStateException("toLongArray() on a " + dtype + " tensor: use toFloatArray()");
        }
        ByteBuffer in = data();
        long[] out = new long[(int) numel];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case I64 -> in.getLong();
                case I32 -> in.getInt();
                case I16 -> in.getShort();
                case I8 -> in.get();
                case U8, BOOL -> in.get() & 0xff;
                default -> throw new AssertionError(dtype);
            };
        }
        return out;
    }

    /** IEEE 754 binary16 to binary32; exact, since every half value is a float value. */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) { // infinity or NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HostTensor that
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
