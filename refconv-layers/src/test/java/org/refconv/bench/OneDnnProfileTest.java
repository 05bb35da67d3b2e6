package org.refconv.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ZooBench's verbose-log reader, on lines copied from libtorch 2.10 (oneDNN 3.7) and PyTorch 1.13 (oneDNN 2.6). */
class OneDnnProfileTest {

    // oneDNN 3.7 (Java's libtorch): a transform conv (groups 192, batch 1), a batch-16 conv backward-data.
    private static final String V3_TRANSFORM = "onednn_verbose,v1,primitive,exec,cpu,convolution,jit_dw:avx2,"
            + "forward_training,src:f32:a:blocked:aBcd8b::f0 wei:f32:a:blocked:Abcde8a::f0 bia:undef::undef::: "
            + "dst:f32:a:blocked:aBcd8b::f0,attr-scratchpad:user,alg:convolution_direct,"
            + "g192mb1_ic192oc192_ih7oh7kh3sh1dh0ph1_iw7ow7kw3sw1dw0pw1,%s";
    private static final String V3_BACKWARD_DATA = "onednn_verbose,v1,primitive,exec,cpu,convolution,"
            + "brg_conv_bwd:avx2+brg_conv_fwd:avx2,backward_data,src:f32::blocked:acdb::f0 "
            + "wei:f32:ap:blocked:Bcda24b::f0 bia:undef::undef::: dst:f32::blocked:acdb::f0,attr-scratchpad:user,"
            + "alg:convolution_direct,mb16_ic512oc512_ih7oh7kh3sh1dh0ph1_iw7ow7kw3sw1dw0pw1,%s";
    private static final String V3_INFO = "onednn_verbose,v1,primitive,info,template:operation,engine,primitive,"
            + "implementation,prop_kind,memory_descriptors,attributes,auxiliary,problem_desc,exec_time";
    private static final String V3_GRAPH = "onednn_verbose,v1,graph,exec,cpu,0,fused,conv,,,,,dnnl_backend,7.5";
    // oneDNN 2.6 (Debian's PyTorch 1.13): a reorder and a batch-16 conv backward-weights.
    private static final String V2_REORDER = "onednn_verbose,exec,cpu,reorder,jit:blk,undef,"
            + "src_f32::blocked:abcd:f0 dst_f32::blocked:aBcd8b:f0,attr-scratchpad:user ,,1x192x7x7,%s";
    private static final String V2_BACKWARD_WEIGHTS = "onednn_verbose,exec,cpu,convolution,jit:avx2,backward_weights,"
            + "src_f32::blocked:aBcd8b:f0 wei_f32::blocked:ABcd8b8a:f0 bia_undef::undef::f0 "
            + "dst_f32::blocked:aBcd8b:f0,attr-scratchpad:user ,alg:convolution_direct,"
            + "mb16_ic512oc512_ih7oh7kh3sh1dh0ph1_iw7ow7kw3sw1dw0pw1,%s";
    private static final String V2_POOLING = "onednn_verbose,exec,cpu,pooling,jit:avx2,forward_training,"
            + "src_f32::blocked:aBcd8b:f0 dst_f32::blocked:aBcd8b:f0,,alg:pooling_max,mb16ic64_ih112oh56kh3sh2ph1,%s";

    @Test
    void sumsTheLastStepByCategory() {
        List<String> log = new ArrayList<>(List.of(
                V3_INFO,
                "some line of the program's own",
                "onednn_verbose,v1,primitive,create:cache_miss,cpu,convolution,jit_dw:avx2,forward_training,,,,x,0.5"));
        // Step 1 (its times must not count), then step 2; a graph-API line is not a primitive execution.
        log.addAll(List.of(
                V3_TRANSFORM.formatted("9.0"),
                V3_BACKWARD_DATA.formatted("100.0"),
                V3_TRANSFORM.formatted("7.0"),
                V3_GRAPH));
        log.addAll(List.of(
                V3_TRANSFORM.formatted("0.25"), V3_BACKWARD_DATA.formatted("51.968"), V3_TRANSFORM.formatted("0.5")));
        Map<String, Double> ms = OneDnnProfile.lastStep(log, 2);
        assertEquals(0.75, ms.get(OneDnnProfile.TRANSFORM), 1e-12);
        assertEquals(51.968, ms.get(OneDnnProfile.CONV_BACKWARD_DATA), 1e-12);
        assertEquals(0.0, ms.get(OneDnnProfile.CONV_FORWARD), 0.0);
        assertEquals(OneDnnProfile.CATEGORIES, List.copyOf(ms.keySet()));
    }

    @Test
    void readsTheOlderFormat() {
        List<String> log = List.of(
                V2_REORDER.formatted("0.221191"),
                V2_BACKWARD_WEIGHTS.formatted("42.1089"),
                V2_POOLING.formatted("3.5"));
        Map<String, Double> ms = OneDnnProfile.lastStep(log, 1);
        assertEquals(0.221191, ms.get(OneDnnProfile.REORDER), 1e-12);
        assertEquals(42.1089, ms.get(OneDnnProfile.CONV_BACKWARD_WEIGHTS), 1e-12);
        assertEquals(3.5, ms.get(OneDnnProfile.OTHER), 1e-12);
    }

    @Test
    void refusesALogThatDoesNotSplitIntoSteps() {
        List<String> log =
                List.of(V3_TRANSFORM.formatted("1"), V3_TRANSFORM.formatted("1"), V3_BACKWARD_DATA.formatted("2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OneDnnProfile.lastStep(log, 2));
        assertTrue(e.getMessage().contains("3 primitive executions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OneDnnProfile.lastStep(List.of(V3_INFO), 1));
    }
}
