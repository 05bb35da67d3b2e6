package org.refconv.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.refconv.engine.Precision.Hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrecisionTest {

    private static final Hardware AVX512_BF16 = new Hardware(Set.of("avx2", "avx512f", "avx512_bf16"));
    private static final Hardware AMX = new Hardware(Set.of("avx512f", "amx_tile", "amx_bf16"));
    private static final Hardware AVX2 = new Hardware(Set.of("sse4_2", "avx2", "fma"));
    private static final Device GPU = Device.cuda(0);

    @Test
    void parsesTheConfigNames() {
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.BF16, Precision.parse(" BF16 "));
        assertEquals(Precision.BF16, Precision.parse("bfloat16"));
        assertEquals(Precision.FP16, Precision.parse("fp16"));
        assertEquals(Precision.AUTO, Precision.parse("Auto"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
        assertTrue(e.getMessage().contains("fp32, bf16, fp16 or auto"), e.getMessage());
        for (Precision p : Precision.values()) {
            assertEquals(p, Precision.parse(p.configName()));
        }
        assertEquals(ScalarType.BFloat16, Precision.BF16.autocastType());
        assertEquals(ScalarType.Half, Precision.FP16.autocastType());
        assertNull(Precision.FP32.autocastType());
        assertTrue(Precision.FP16.needsLossScaling());
    }

    @Test
    void autoOnTheCpuIsBf16OnlyWithNativeBf16Instructions() {
        Precision.Resolved avx512 = Precision.AUTO.resolve(Device.CPU, AVX512_BF16, OptionalInt.empty());
        assertEquals(Precision.BF16, avx512.effective());
        assertEquals("precision bf16 on cpu (auto: the CPU has avx512_bf16)", avx512.describe());
        assertEquals(
                Precision.BF16,
                Precision.AUTO.resolve(Device.CPU, AMX, OptionalInt.empty()).effective());
        Precision.Resolved avx2 = Precision.AUTO.resolve(Device.CPU, AVX2, OptionalInt.empty());
        assertEquals(Precision.FP32, avx2.effective());
        assertEquals(Precision.AUTO, avx2.requested());
        assertTrue(avx2.describe().contains("no AVX512_BF16 or AMX"), avx2.describe());
    }

    @Test
    void explicitChoicesAreKeptButFp16IsRefusedOnTheCpu() {
        Precision.Resolved bf16 = Precision.BF16.resolve(Device.CPU, AVX2, OptionalInt.empty());
        assertEquals(Precision.BF16, bf16.effective());
        assertTrue(bf16.describe().contains("emulated"), "a slow choice is named: " + bf16.describe());
        assertEquals(
                Precision.FP32,
                Precision.FP32
                        .resolve(Device.CPU, AVX512_BF16, OptionalInt.empty())
                        .effective());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Precision.FP16.resolve(Device.CPU, AVX512_BF16, OptionalInt.empty()));
        assertTrue(e.getMessage().contains("CUDA only"), e.getMessage());
        assertEquals(
                Precision.FP16,
                Precision.FP16.resolve(GPU, Hardware.NONE, OptionalInt.of(7)).effective());
    }

    @Test
    void autoOnCudaFollowsTheComputeCapability() {
        // Compute capability -> the choice: bf16 from Ampere (8.x) on, fp16 on Volta/Turing (7.x), fp32 before.
        Map<Integer, Precision> expected =
                Map.of(9, Precision.BF16, 8, Precision.BF16, 7, Precision.FP16, 6, Precision.FP32);
        expected.forEach((major, precision) -> assertEquals(
                precision,
                Precision.AUTO
                        .resolve(GPU, Hardware.NONE, OptionalInt.of(major))
                        .effective(),
                "compute capability " + major));
        Precision.Resolved unknown = Precision.AUTO.resolve(GPU, AVX512_BF16, OptionalInt.empty());
        assertEquals(Precision.FP32, unknown.effective());
        assertEquals(
                "precision fp32 on cuda:0 (auto: compute capability unknown (not a CUDA build?))", unknown.describe());
    }

    @Test
    void readsTheFlagsOfACpuinfoText() {
        String cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 "
                + "vnmi\nbogomips\t: 4800.00\n\nprocessor\t: 1\nflags\t\t: fpu sse\n";
        Hardware h = Hardware.fromCpuinfo(cpuinfo);
        assertTrue(h.hasBf16Compute());
        assertEquals(Set.of("fpu", "sse", "avx2", "avx512f", "avx512_bf16", "vnmi"), h.cpuFlags());
        assertTrue(
                !Hardware.fromCpuinfo("processor\t: 0\nflags\t: avx512f avx512_bf16x\n")
                        .hasBf16Compute(),
                "a flag is matched whole, not as a prefix");
        assertTrue(!Hardware.fromCpuinfo("no flags here").hasBf16Compute());
    }

    @Test
    void thisHostResolvesAutoFromItsOwnFlags() throws IOException {
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        boolean native16 = cpuinfo.contains(" avx512_bf16") || cpuinfo.contains(" amx_bf16");
        Precision.Resolved r = Precision.AUTO.resolve(Device.CPU);
        assertEquals(native16 ? Precision.BF16 : Precision.FP32, r.effective(), r.describe());
        System.out.println(r.describe());
    }
}
