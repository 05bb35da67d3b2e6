package org.refconv.models;

import java.util.function.IntFunction;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Ops;
import org.refconv.layers.BatchNorm2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.Linear;
import org.refconv.layers.Sequential;

/** torchvision.models.mobilenet_v2 (width 1.0) with torchvision's state_dict keys. */
public class MobileNetV2 extends Classifier {

    /** t (expansion), c (out channels), n (repeats), s (stride of the first): the paper's Table 2. */
    private static final int[][] SETTING = {
        {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}
    };

    private static final int FIRST_CHANNELS = 32;
    private static final int LAST_CHANNELS = 1280;
    private static final double DROPOUT = 0.2;
    private static final IntFunction<BatchNorm2d> NORM = BatchNorm2d::new;

    private final Sequential features;
    private final Sequential classifier;

    public MobileNetV2(ConvFactory factory, int inChannels, int numClasses) {
        ConvFactory convs = TorchvisionInit.kaimingNormalFanOut(factory);
        features = new Sequential("features");
        features.add(new Conv2dNormActivation(
                convs, features.next(), inChannels, FIRST_CHANNELS, 3, 2, 1, NORM, Ops::relu6, true));
        int in = FIRST_CHANNELS;
        for (int[] row : SETTING) {
            for (int i = 0; i < row[2]; i++) {
                InvertedResidual block =
                        new InvertedResidual(convs, features.next(), in, row[1], i == 0 ? row[3] : 1, row[0]);
                features.addModule(block, block::forward);
                in = row[1];
            }
        }
        features.add(
                new Conv2dNormActivation(convs, features.next(), in, LAST_CHANNELS, 1, 1, 1, NORM, Ops::relu6, false));
        register_module("features", features);
        classifier = new Sequential("classifier");
        classifier.add(x -> Ops.dropout(x, DROPOUT, classifier.is_training()));
        classifier.add(TorchvisionInit.normalLinear(new Linear(LAST_CHANNELS, numClasses), 0.01));
        register_module("classifier", classifier);
    }

    @Override
    public Tensor forward(Tensor x) {
        return classifier.forward(Ops.flatten(Ops.adaptiveAvgPool2d(features.forward(x), 1, 1), 1));
    }

    /** Expand (1x1, unless t = 1), depthwise 3x3, linear 1x1 projection; residual when shapes allow. */
    static final class InvertedResidual extends Module {
        private final Sequential conv;
        private final boolean residual;

        InvertedResidual(ConvFactory convs, String prefix, int in, int out, int stride, int expandRatio) {
            int hidden = Math.round(in * (float) expandRatio);
            residual = stride == 1 && in == out;
            conv = new Sequential(prefix + ".conv");
            if (expandRatio != 1) {
                conv.add(new Conv2dNormActivation(convs, conv.next(), in, hidden, 1, 1, 1, NORM, Ops::relu6, false));
            }
            conv.add(new Conv2dNormActivation(
                    convs, conv.next(), hidden, hidden, 3, stride, hidden, NORM, Ops::relu6, false));
            conv.add(convs.create(Conv2dSpec.of(conv.next(), hidden, out, 1, 1, 0, 1, false)));
            conv.add(NORM.apply(out));
            register_module("conv", conv);
        }

        Tensor forward(Tensor x) {
            return residual ? Ops.add(x, conv.forward(x)) : conv.forward(x);
        }
    }
}
