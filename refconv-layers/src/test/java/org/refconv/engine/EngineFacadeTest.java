package org.refconv.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.DType;
import org.refconv.checkpoint.HostTensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine facade: conversions, conv2d geometry, autograd scopes, devices and threads. */
class EngineFacadeTest {

    @Test
    void hostTensorsRoundTripForEveryCheckpointDtype() {
        float[] v = {1.5f, -2.25f, 0f, 65504f, 3.0e-3f, -1f};
        for (DType d : new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64}) {
            Tensor t = Tensors.fromFloats(v, 2, 3).to(Tensors.scalarType(d));
            HostTensor h = Tensors.toHost(t);
            assertEquals(d, h.dtype());
            assertArrayEquals(new long[] {2, 3}, h.shape());
            // Back into libtorch: bit-identical to the tensor it came from.
            assertEquals(
                    0.0,
                    Ops.maxAbsDiff(Tensors.fromHost(h).to(torch.ScalarType.Double), t.to(torch.ScalarType.Double)),
                    d.toString());
        }
        long[] ints = {Long.MIN_VALUE, -1, 0, 42, Long.MAX_VALUE};
        HostTensor h = Tensors.toHost(Tensors.fromLongs(ints, 5));
        assertEquals(DType.I64, h.dtype());
        assertArrayEquals(ints, h.toLongArray());
        assertArrayEquals(ints, Tensors.toLongs(Tensors.fromHost(h)));
    }

    @Test
    void halfPrecisionBytesAreWhatTheFormatSays() {
        // 1.0 in IEEE half is 0x3C00, in bfloat16 0x3F80 (little-endian on disk).
        ByteBuffer half = ByteBuffer.allocate(2)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3C00)
                .flip();
        ByteBuffer bf16 = ByteBuffer.allocate(2)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) 0x3F80)
                .flip();
        assertArrayEquals(
                new float[] {1f}, Tensors.toFloats(Tensors.fromHost(HostTensor.of(DType.F16, new long[] {1}, half))));
        assertArrayEquals(
                new float[] {1f}, Tensors.toFloats(Tensors.fromHost(HostTensor.of(DType.BF16, new long[] {1}, bf16))));
    }

    @Test
    void conv2dHonoursStridePaddingDilationAndGroups() {
        // Hand-computed: a 1x1x4x4 ramp, 2x2 all-ones kernel, stride 2, no padding -> sums of 2x2 blocks.
        float[] ramp = new float[16];
        for (int i = 0; i < 16; i++) {
            ramp[i] = i;
        }
        Tensor x = Tensors.fromFloats(ramp, 1, 1, 4, 4);
        Tensor w = Tensors.ones(1, 1, 2, 2);
        float[] blocks =
                Tensors.toFloats(Ops.conv2d(x, w, null, new long[] {2, 2}, new long[] {0, 0}, new long[] {1, 1}, 1));
        assertArrayEquals(new float[] {0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15}, blocks);
        // Dilation 2 with padding 0 on 4x4 -> one output: x[0,0] + x[0,2] + x[2,0] + x[2,2].
        float[] dilated =
                Tensors.toFloats(Ops.conv2d(x, w, null, new long[] {1, 1}, new long[] {0, 0}, new long[] {2, 2}, 1));
        assertArrayEquals(new float[] {0 + 2 + 8 + 10, 1 + 3 + 9 + 11, 4 + 6 + 12 + 14, 5 + 7 + 13 + 15}, dilated);
        // Groups 2: each output channel sees only its own input channel; padding 1 keeps 4x4 at the border.
        Tensor two = Tensors.fromFloats(new float[] {1, 1, 1, 1, 2, 2, 2, 2}, 1, 2, 2, 2);
        Tensor gw = Tensors.ones(2, 1, 3, 3);
        float[] grouped = Tensors.toFloats(Ops.conv2d(
                two,
                gw,
                Tensors.fromFloats(new float[] {10, 20}, 2),
                new long[] {1, 1},
                new long[] {1, 1},
                new long[] {1, 1},
                2));
        assertArrayEquals(new float[] {14, 14, 14, 14, 28, 28, 28, 28}, grouped);
    }

    @Test
    void noGradScopesNestAndRestore() {
        Tensor w = Tensors.requiresGrad(Tensors.ones(3), true);
        try (NoGrad outer = NoGrad.enter()) {
            assertFalse(w.mul(w).requires_grad());
            try (NoGrad inner = NoGrad.enter()) {
                assertFalse(w.add(w).requires_grad());
            }
            assertFalse(w.add(w).requires_grad(), "leaving the inner scope keeps the outer one");
        }
        assertTrue(w.mul(w).requires_grad(), "autograd is back on after the scope");
    }

    @Test
    void stepScopeKeepsOnlyWhatItIsAskedTo() {
        Tensor kept;
        Tensor dropped;
        try (StepScope scope = StepScope.open()) {
            kept = scope.keep(Tensors.ones(4).mul(Tensors.ones(4)));
            dropped = Tensors.ones(4);
        }
        assertEquals(4.0, kept.sum().item_double());
        assertTrue(dropped.isNull(), "tensors made in the scope are released when it closes");
    }

    @Test
    void devicesParseAndCudaIsRefusedClearlyOnThisBuild() {
        assertEquals(Device.CPU, Device.parse("CPU"));
        assertEquals(Device.cuda(3), Device.parse("cuda:3"));
        assertEquals(Device.cuda(0), Device.parse("gpu"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu:0"));
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
        Engine.requireAvailable(Device.CPU);
        if (!Engine.cudaAvailable()) {
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> Engine.requireAvailable(Device.cuda(0)));
            assertTrue(e.getMessage().contains("CUDA is not available"), e.getMessage());
        }
    }

    @Test
    void threadSettingTakesEffect() {
        int before = Engine.threads();
        Engine.setThreads(1);
        assertEquals(1, Engine.threads());
        Engine.setThreads(before);
        assertThrows(IllegalArgumentException.class, () -> Engine.setThreads(0));
    }
}
