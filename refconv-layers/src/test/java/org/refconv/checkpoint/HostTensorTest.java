package org.refconv.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostTensorTest {

    private static ByteBuffer littleEndian(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void floatsRoundTripThroughLittleEndianBytes() {
        HostTensor tensor = HostTensor.ofFloats(new long[] {2, 2}, new float[] {1f, -2.5f, 0f, Float.NaN});
        assertEquals(DType.F32, tensor.dtype());
        assertEquals(4, tensor.numel());
        ByteBuffer data = tensor.data();
        assertEquals(ByteOrder.LITTLE_ENDIAN, data.order());
        assertEquals(0, data.position());
        assertEquals(0x3f800000, data.getInt(0)); // 1.0f, little-endian
        assertEquals((byte) 0x80, data.get(2));
        assertEquals((byte) 0x3f, data.get(3));
        assertArrayEquals(new float[] {1f, -2.5f, 0f, Float.NaN}, tensor.toFloatArray());
    }

    @Test
    void isImmutable() {
        long[] shape = {3};
        HostTensor tensor = HostTensor.ofLongs(shape, new long[] {1, 2, 3});
        shape[0] = 99;
        tensor.shape()[0] = 42;
        assertArrayEquals(new long[] {3}, tensor.shape());
        assertThrows(ReadOnlyBufferException.class, () -> tensor.data().put(0, (byte) 1));
        ByteBuffer source = littleEndian(8).putLong(0, 7);
        HostTensor copied = HostTensor.of(DType.I64, new long[] {1}, source);
        source.putLong(0, 8);
        assertEquals(0, source.position());
        assertArrayEquals(new long[] {7}, copied.toLongArray());
    }

    @Test
    void rejectsByteLengthNotMatchingShape() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> HostTensor.of(DType.F16, new long[] {2, 3}, littleEndian(10)));
        assertEquals("a F16 tensor of shape [2, 3] needs 6 x 2 = 12 bytes, got 10", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostTensor.ofFloats(new long[] {-1}, new float[0]));
    }

    @Test
    void scalarAndEmptyShapes() {
        assertEquals(1, HostTensor.ofFloats(new long[0], new float[] {5f}).numel());
        HostTensor empty = HostTensor.ofFloats(new long[] {0, 3}, new float[0]);
        assertEquals(0, empty.numel());
        assertEquals(0, empty.toFloatArray().length);
    }

    @Test
    void halfPrecisionConversionIsExactIncludingSpecialValues() {
        assertEquals(1f, HostTensor.halfToFloat((short) 0x3c00));
        assertEquals(-2f, HostTensor.halfToFloat((short) 0xc000));
        assertEquals(65504f, HostTensor.halfToFloat((short) 0x7bff)); // largest half
        assertEquals(0x1p-24f, HostTensor.halfToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(0x3ffp-24f, HostTensor.halfToFloat((short) 0x03ff)); // largest subnormal
        assertEquals(0x1p-14f, HostTensor.halfToFloat((short) 0x0400)); // smallest normal
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(HostTensor.halfToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, HostTensor.halfToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, HostTensor.halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(HostTensor.halfToFloat((short) 0x7e00)));
    }

    @Test
    void convertsEveryDtypeToFloats() {
        ByteBuffer bf16 = littleEndian(4)
                .putShort((short) 0x3fc0)
                .putShort((short) 0xc2f7)
                .flip();
        assertArrayEquals(
                new float[] {1.5f, -123.5f},
                HostTensor.of(DType.BF16, new long[] {2}, bf16).toFloatArray());
        ByteBuffer f64 = littleEndian(8).putDouble(0.1).flip();
        assertArrayEquals(
                new float[] {0.1f},
                HostTensor.of(DType.F64, new long[] {1}, f64).toFloatArray());
        ByteBuffer bytes = littleEndian(2).put((byte) -1).put((byte) 1).flip();
        assertArrayEquals(
                new float[] {-1f, 1f},
                HostTensor.of(DType.I8, new long[] {2}, bytes).toFloatArray());
        assertArrayEquals(
                new float[] {255f, 1f},
                HostTensor.of(DType.U8, new long[] {2}, bytes).toFloatArray());
        assertArrayEquals(
                new long[] {255, 1},
                HostTensor.of(DType.U8, new long[] {2}, bytes).toLongArray());
        ByteBuffer i32 = littleEndian(4).putInt(Integer.MIN_VALUE).flip();
        assertArrayEquals(
                new long[] {Integer.MIN_VALUE},
                HostTensor.of(DType.I32, new long[] {1}, i32).toLongArray());
        ByteBuffer i16 = littleEndian(2).putShort((short) -300).flip();
        assertArrayEquals(
                new float[] {-300f},
                HostTensor.of(DType.I16, new long[] {1}, i16).toFloatArray());
        assertArrayEquals(
                new float[] {(float) Long.MAX_VALUE},
                HostTensor.ofLongs(new long[] {1}, new long[] {Long.MAX_VALUE}).toFloatArray());
    }

    @Test
    void refusesToTruncateFloatsToLongs() {
        HostTensor tensor = HostTensor.ofFloats(new long[] {1}, new float[] {1.5f});
        IllegalStateException e = assertThrows(IllegalStateException.class, tensor::toLongArray);
        assertEquals("toLongArray() on a F32 tensor: use toFloatArray()", e.getMessage());
    }

    @Test
    void equalityIsDtypeShapeAndBytes() {
        HostTensor a = HostTensor.ofFloats(new long[] {2}, new float[] {1f, 2f});
        assertEquals(a, HostTensor.ofFloats(new long[] {2}, new float[] {1f, 2f}));
        assertEquals(
                a.hashCode(),
                HostTensor.ofFloats(new long[] {2}, new float[] {1f, 2f}).hashCode());
        assertNotEquals(a, HostTensor.ofFloats(new long[] {1, 2}, new float[] {1f, 2f}));
        assertNotEquals(a, HostTensor.ofFloats(new long[] {2}, new float[] {1f, 3f}));
        assertNotEquals(a, HostTensor.of(DType.I32, new long[] {2}, a.data()));
        assertEquals("HostTensor[F32 [2]]", a.toString());
    }

    @Test
    void dtypeNamesFollowSafetensors() {
        for (DType type : DType.values()) {
            assertEquals(type, DType.fromSafetensors(type.safetensorsName()));
        }
        assertEquals(2, DType.BF16.byteSize());
        assertEquals(1, DType.BOOL.byteSize());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> DType.fromSafetensors("F8_E4M3"));
        assertEquals(
                "unsupported dtype 'F8_E4M3' (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)",
                e.getMessage());
    }
}
