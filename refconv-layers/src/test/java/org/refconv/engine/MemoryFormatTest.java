package org.refconv.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.refconv.layers.BatchNorm2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.Linear;
import org.refconv.layers.RefConvOptions;
import org.refconv.models.Classifier;
import org.refconv.reparam.DeferredGradients;
import org.refconv.reparam.RefocusRule;
import org.refconv.reparam.Refocuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryFormatTest {

    @Test
    void parsesConfigNamesAndRefusesOthers() {
        assertSame(MemoryFormat.CHANNELS_LAST, MemoryFormat.parse(" Channels-Last "));
        assertSame(MemoryFormat.CONTIGUOUS, MemoryFormat.parse("contiguous"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryFormat.parse("nhwc"));
        assertTrue(e.getMessage().contains("'nhwc'") && e.getMessage().contains("channels-last"), e.getMessage());
    }

    @Test
    void changesStridesNotValues() {
        Tensor x = Tensors.randn(2, 3, 4, 5);
        Tensor nhwc = MemoryFormat.CHANNELS_LAST.apply(x);
        // NHWC strides by hand: C is innermost, then W, then H.
        assertEquals("[60, 1, 15, 3]", Arrays.toString(nhwc.strides().vec().get()));
        assertEquals(0.0, Ops.maxAbsDiff(nhwc, x));
        assertTrue(MemoryFormat.CHANNELS_LAST.isLayoutOf(nhwc));
        assertFalse(MemoryFormat.CHANNELS_LAST.isLayoutOf(x));
        assertEquals(
                "[60, 20, 5, 1]",
                Arrays.toString(
                        MemoryFormat.CONTIGUOUS.apply(nhwc).strides().vec().get()));
        assertThrows(IllegalArgumentException.class, () -> MemoryFormat.CHANNELS_LAST.apply(Tensors.randn(2, 3)));
    }

    /** Every kind of conv RefConv replaces (stem, dense, depthwise, grouped, strided), each followed by BatchNorm. */
    static final class EveryConvKind extends Classifier {
        private final List<ConvLayer> convs = new ArrayList<>();
        private final List<BatchNorm2d> norms = new ArrayList<>();
        private final Linear fc;

        EveryConvKind(ConvFactory factory) {
            int[][] layers = {{3, 16, 1, 1}, {16, 32, 2, 1}, {32, 32, 1, 32}, {32, 32, 1, 4}, {32, 48, 2, 1}};
            for (int i = 0; i < layers.length; i++) {
                int[] l = layers[i];
                ConvLayer c = factory.create(Conv2dSpec.of("conv" + i, l[0], l[1], 3, l[2], 1, l[3], false));
                BatchNorm2d bn = new BatchNorm2d(l[1]);
                register_module("conv" + i, c.module());
                register_module("bn" + i, bn);
                convs.add(c);
                norms.add(bn);
            }
            fc = register_module("fc", new Linear(48, 10));
        }

        @Override
        public Tensor forward(Tensor x) {
            for (int i = 0; i < convs.size(); i++) {
                x = Ops.relu(norms.get(i).forward(convs.get(i).forward(x)));
            }
            return fc.forward(Ops.flatten(Ops.adaptiveAvgPool2d(x, 1, 1), 1));
        }
    }

    /**
     * A refocused model gets the same gradients from channels-last batches as from NCHW batches, in training and eval
     * mode, judged against float64 (libtorch's reference kernels): each float32 layout within 1e-3 of the largest
     * gradient. Not tighter: on freshly initialised deep nets (resnet18_small) either layout's oneDNN kernels were
     * seen up to ~6e-3 off on some tensors in float32 (cancellation in BatchNorm's backward), once one layout, once
     * the other; a layout bug (wrong strides, a wrong view) is off by O(1). ZooTorchvisionTest checks every zoo
     * model's channels-last forward against torchvision.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void refocusedGradientsDoNotDependOnTheLayout(boolean training) {
        Engine.manualSeed(7);
        Refocuser refocuser = new Refocuser(RefocusRule.ALL, RefConvOptions.DEFAULT);
        Classifier m = new EveryConvKind(refocuser);
        DeferredGradients deferred = DeferredGradients.of(refocuser); // float64 takes libtorch's transform
        m.train(training);
        Tensor x = Tensors.randn(8, 3, 16, 16);
        Tensor y = Tensors.fromLongs(new long[] {0, 3, 5, 9, 1, 1, 2, 7}, 8);
        Map<String, Tensor> nchw = gradients(m, deferred, MemoryFormat.CONTIGUOUS.apply(x), y);
        Map<String, Tensor> nhwc = gradients(m, deferred, MemoryFormat.CHANNELS_LAST.apply(x), y);
        m.to(torch.ScalarType.Double, false);
        Map<String, Tensor> reference = gradients(m, deferred, x.to(torch.ScalarType.Double), y);
        assertEquals(
                5,
                reference.keySet().stream()
                        .filter(k -> k.endsWith("convmap.weight"))
                        .count(),
                "every Wr");
        double largest =
                reference.values().stream().mapToDouble(Ops::maxAbs).max().orElseThrow();
        for (String k : reference.keySet()) {
            Tensor want = reference.get(k);
            double errNchw = Ops.maxAbsDiff(nchw.get(k).to(torch.ScalarType.Double), want) / largest;
            double errNhwc = Ops.maxAbsDiff(nhwc.get(k).to(torch.ScalarType.Double), want) / largest;
            assertTrue(
                    errNhwc <= 1e-3 && errNchw <= 1e-3,
                    "grad " + k + ": channels-last " + errNhwc + ", contiguous " + errNchw
                            + " of the largest gradient");
        }
    }

    private static Map<String, Tensor> gradients(Classifier m, DeferredGradients deferred, Tensor x, Tensor y) {
        Map<String, Tensor> params = Modules.trainableParameters(m);
        params.values().forEach(Tensors::dropGrad);
        Ops.crossEntropy(m.forward(x), y).backward();
        deferred.apply();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        params.forEach((k, p) -> grads.put(k, p.grad().clone()));
        return grads;
    }
}
