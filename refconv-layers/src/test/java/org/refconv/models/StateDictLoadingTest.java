package org.refconv.models;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Engine;
import org.refconv.engine.Modules;
import org.refconv.engine.Ops;
import org.refconv.layers.ConvFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading a state_dict into a zoo model: strict errors name every problem; non-strict swaps the head. */
class StateDictLoadingTest {

    private static StateDict resnet18State(int inChannels, int classes) {
        return Modules.toStateDict(ResNet.resnet18(ConvFactory.plain(), inChannels, classes));
    }

    @Test
    void strictLoadListsEveryMissingUnexpectedAndMismatchedKey() {
        StateDict source = resnet18State(1, 10);
        // Drop two keys and add one torchvision does not have.
        StateDict edited = new StateDict();
        source.entries().forEach(e -> {
            if (!e.getKey().equals("layer2.1.bn2.running_var") && !e.getKey().equals("layer4.0.downsample.0.weight")) {
                edited.put(e.getKey(), e.getValue());
            }
        });
        edited.put("fc.extra", source.get("fc.bias"));
        ResNet target = ResNet.resnet18(ConvFactory.plain(), 3, 1000);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Modules.load(target, edited, true));
        String msg = e.getMessage();
        for (String key : List.of(
                "layer2.1.bn2.running_var",
                "layer4.0.downsample.0.weight",
                "fc.extra",
                "conv1.weight",
                "fc.weight",
                "fc.bias")) {
            assertTrue(msg.contains(key), key + " not named in: " + msg);
        }
        assertTrue(msg.contains("conv1.weight: checkpoint [64, 1, 7, 7] vs model [64, 3, 7, 7]"), msg);
        Modules.LoadReport report = Modules.compare(target, edited);
        assertEquals(List.of("layer2.1.bn2.running_var", "layer4.0.downsample.0.weight"), report.missing());
        assertEquals(List.of("fc.extra"), report.unexpected());
        assertEquals(3, report.mismatched().size(), report.toString());
    }

    @Test
    void strictLoadRefusesAnotherDepth() {
        StateDict resnet34 = Modules.toStateDict(ResNet.resnet34(ConvFactory.plain(), 3, 10));
        Modules.LoadReport report = Modules.compare(ResNet.resnet18(ConvFactory.plain(), 3, 10), resnet34);
        // ResNet-34 has 1 + 2 + 4 + 1 more BasicBlocks than ResNet-18 (3-4-6-3 vs 2-2-2-2), 12 tensors each.
        assertEquals(8 * 12, report.unexpected().size());
        assertTrue(report.unexpected().contains("layer3.5.bn2.num_batches_tracked"));
        assertTrue(report.missing().isEmpty() && report.mismatched().isEmpty(), report.toString());
        assertThrows(
                IllegalArgumentException.class,
                () -> Modules.load(ResNet.resnet18(ConvFactory.plain(), 3, 10), resnet34, true));
    }

    @Test
    void nonStrictLoadChangesTheClassifierHead() {
        Engine.manualSeed(5);
        ResNet pretrained = ResNet.resnet18(ConvFactory.plain(), 3, 1000);
        ResNet fineTuned = ResNet.resnet18(ConvFactory.plain(), 3, 10);
        Tensor freshHead = Modules.stateDict(fineTuned).get("fc.weight").clone();
        Modules.LoadReport report = Modules.load(fineTuned, Modules.toStateDict(pretrained), false);
        assertEquals(
                List.of("fc.weight", "fc.bias"),
                report.mismatched().stream()
                        .map(s -> s.substring(0, s.indexOf(':')))
                        .toList());
        assertTrue(report.missing().isEmpty() && report.unexpected().isEmpty());
        Map<String, Tensor> want = Modules.stateDict(pretrained);
        Map<String, Tensor> got = Modules.stateDict(fineTuned);
        for (String key : got.keySet()) {
            if (!key.startsWith("fc.")) {
                assertEquals(0.0, Ops.maxAbsDiff(got.get(key), want.get(key)), key);
            }
        }
        assertEquals(0.0, Ops.maxAbsDiff(got.get("fc.weight"), freshHead), "the new head keeps its init");
    }
}
