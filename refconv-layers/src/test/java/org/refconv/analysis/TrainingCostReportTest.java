package org.refconv.analysis;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.refconv.analysis.TrainingCostReport.Row;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.ModelZoo;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Table-1 report: ResNet-18's counts against torchvision's and against hand computation. */
class TrainingCostReportTest {

    private static TrainingCostReport resnet18;

    @BeforeAll
    static void build() {
        resnet18 = TrainingCostReport.of("resnet18", 3, 1000, 224, RefocusRule.ALL, RefConvOptions.DEFAULT);
    }

    @Test
    void inferenceParametersAreTorchvisionsAndTheTrainingExtraIsTheSumOfWr() {
        assertEquals(11_689_512L, resnet18.modelInferenceParams(), "torchvision's resnet18 num_params");
        // Wr summed over the RefConv layers of an independently built refocused ResNet-18.
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        ModelZoo.create("resnet18", refocuser, 3, 1000, 224);
        long wr = refocuser.layers().values().stream()
                .mapToLong(l -> l.refocusingWeight().numel())
                .sum();
        assertEquals(wr, resnet18.wrParams());
        assertEquals(resnet18.modelInferenceParams() + wr, resnet18.modelTrainingParams());
        assertEquals(17, resnet18.rows().size());

        String table = print(resnet18);
        assertTrue(table.contains("inference 11.69M (11689512)"), table);
        assertTrue(table.contains("training-time " + TrainingCostReport.millions(11_689_512L + wr)), table);
    }

    @Test
    void oneDenseLayerAndTheStemByHand() {
        Map<String, Row> rows = resnet18.rows().stream().collect(Collectors.toMap(Row::layer, Function.identity()));
        // layer2.0.conv1: 64 -> 128, 3x3, stride 2, on 56x56 -> 28x28. n2d = 64*128 kernels, one 3x3 each: G = n2d.
        Row r = rows.get("layer2.0.conv1");
        assertEquals("dense", r.kind());
        assertEquals(64 * 128, r.mapGroups());
        assertEquals(64 * 128 * 9, r.wrParams(), "Wr [8192, 1, 3, 3]");
        assertEquals(128 * 64 * 9, r.inferenceParams());
        assertEquals(2 * 128 * 64 * 9, r.trainingParams());
        assertEquals(28L * 28 * 128 * 64 * 9, r.convFlops());
        assertEquals(9L * 9 * 64 * 128, r.transformFlops(), "K^2 k^2 Cin Cout");
        // The 7x7 stem: the transform is still 3x3 (k = 3), over 49-pixel kernels.
        Row stem = rows.get("conv1");
        assertEquals("stem", stem.kind());
        assertEquals(3 * 64, stem.mapGroups());
        assertEquals(3 * 64 * 9, stem.wrParams());
        assertEquals(49L * 9 * 3 * 64, stem.transformFlops());
        assertEquals(112L * 112 * 64 * 3 * 49, stem.convFlops());
    }

    @Test
    void depthwiseTransformFlopsAreKSquaredKSquaredCSquared() {
        TrainingCostReport m =
                TrainingCostReport.of("mobilenet_v3_small", 3, 1000, 224, RefocusRule.OFFICIAL, RefConvOptions.DEFAULT);
        Row dw5 = m.rows().stream()
                .filter(r -> r.layer().equals("features.4.block.1.0"))
                .findFirst()
                .orElseThrow();
        assertEquals("depthwise", dw5.kind());
        assertEquals(1, dw5.mapGroups());
        assertEquals(96L * 96 * 9, dw5.wrParams());
        assertEquals(25L * 9 * 96 * 96, dw5.transformFlops());
        assertEquals(14L * 14 * 96 * 25, dw5.convFlops(), "stride 2: 28x28 -> 14x14, one 5x5 filter per channel");
        assertEquals(2_542_856L, m.modelInferenceParams(), "torchvision's mobilenet_v3_small num_params");
    }

    @Test
    void csvHasAHeaderOneLinePerLayerAndTheModelTotals() {
        List<String> lines = resnet18.csv().lines().toList();
        assertEquals(1 + 17 + 1, lines.size());
        assertEquals(
                "layer,type,Cin,Cout,K,g,out,G,Wr_params,inference_params,training_params,conv_FLOPs/img,"
                        + "transform_FLOPs/step",
                lines.get(0));
        assertTrue(
                lines.get(lines.size() - 1).startsWith("model,,,,,,,," + resnet18.wrParams() + ",11689512,"),
                lines.get(lines.size() - 1));
    }

    private static String print(TrainingCostReport r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        r.printTable(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
