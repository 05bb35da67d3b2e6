package org.refconv.models;

import java.util.List;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Ops;
import org.refconv.layers.BatchNorm2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.Linear;
import org.refconv.layers.Sequential;

/**
 * torchvision.models.mobilenet_v3_large / _small (width 1.0, no reduced tail, no dilation) with torchvision's
 * state_dict keys. The architecture the official RefConv code refocuses (MobileNetV3-L).
 */
public class MobileNetV3 extends Classifier {

    /** One row of the paper's Tables 1-2: in, kernel, expanded, out, squeeze-excite, hard-swish, stride. */
    private record Config(int in, int kernel, int expanded, int out, boolean se, boolean hardSwish, int stride) {}

    private static final List<Config> LARGE = List.of(
            new Config(16, 3, 16, 16, false, false, 1),
            new Config(16, 3, 64, 24, false, false, 2),
            new Config(24, 3, 72, 24, false, false, 1),
            new Config(24, 5, 72, 40, true, false, 2),
            new Config(40, 5, 120, 40, true, false, 1),
            new Config(40, 5, 120, 40, true, false, 1),
            new Config(40, 3, 240, 80, false, true, 2),
            new Config(80, 3, 200, 80, false, true, 1),
            new Config(80, 3, 184, 80, false, true, 1),
            new Config(80, 3, 184, 80, false, true, 1),
            new Config(80, 3, 480, 112, true, true, 1),
            new Config(112, 3, 672, 112, true, true, 1),
            new Config(112, 5, 672, 160, true, true, 2),
            new Config(160, 5, 960, 160, true, true, 1),
            new Config(160, 5, 960, 160, true, true, 1));
    private static final List<Config> SMALL = List.of(
            new Config(16, 3, 16, 16, true, false, 2),
            new Config(16, 3, 72, 24, false, false, 2),
            new Config(24, 3, 88, 24, false, false, 1),
            new Config(24, 5, 96, 40, true, true, 2),
            new Config(40, 5, 240, 40, true, true, 1),
            new Config(40, 5, 240, 40, true, true, 1),
            new Config(40, 5, 120, 48, true, true, 1),
            new Config(48, 5, 144, 48, true, true, 1),
            new Config(48, 5, 288, 96, true, true, 2),
            new Config(96, 5, 576, 96, true, true, 1),
            new Config(96, 5, 576, 96, true, true, 1));
    /** torchvision uses BatchNorm2d(eps=0.001, momentum=0.01) here, not the defaults. */
    private static final IntFunction<BatchNorm2d> NORM = c -> new BatchNorm2d(c, 0.001, 0.01);

    private static final double DROPOUT = 0.2;

    private final Sequential features;
    private final Sequential classifier;

    public static MobileNetV3 large(ConvFactory convs, int inChannels, int numClasses) {
        return new MobileNetV3(convs, LARGE, 1280, inChannels, numClasses);
    }

    public static MobileNetV3 small(ConvFactory convs, int inChannels, int numClasses) {
        return new MobileNetV3(convs, SMALL, 1024, inChannels, numClasses);
    }

    private MobileNetV3(ConvFactory factory, List<Config> setting, int lastChannels, int inChannels, int numClasses) {
        ConvFactory convs = TorchvisionInit.kaimingNormalFanOut(factory);
        features = new Sequential("features");
        int first = setting.get(0).in();
        features.add(new Conv2dNormActivation(
                convs, features.next(), inChannels, first, 3, 2, 1, NORM, Ops::hardswish, true));
        for (Config c : setting) {
            InvertedResidual block = new InvertedResidual(convs, features.next(), c);
            features.addModule(block, block::forward);
        }
        int lastIn = setting.get(setting.size() - 1).out();
        int lastConv = 6 * lastIn;
        features.add(new Conv2dNormActivation(
                convs, features.next(), lastIn, lastConv, 1, 1, 1, NORM, Ops::hardswish, false));
        register_module("features", features);
        classifier = new Sequential("classifier");
        classifier.add(TorchvisionInit.normalLinear(new Linear(lastConv, lastChannels), 0.01));
        classifier.add(Ops::hardswish);
        classifier.add(x -> Ops.dropout(x, DROPOUT, classifier.is_training()));
        classifier.add(TorchvisionInit.normalLinear(new Linear(lastChannels, numClasses), 0.01));
        register_module("classifier", classifier);
    }

    @Override
    public Tensor forward(Tensor x) {
        return classifier.forward(Ops.flatten(Ops.adaptiveAvgPool2d(features.forward(x), 1, 1), 1));
    }

    /** torchvision's _make_divisible: round to the nearest multiple of 8, not going down by more than 10%. */
    static int makeDivisible(double v, int divisor) {
        int rounded = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * v ? rounded + divisor : rounded;
    }

    /** Expand (1x1, unless the width stays), depthwise KxK, optional squeeze-excite, linear 1x1 projection. */
    static final class InvertedResidual extends Module {
        private final Sequential block;
        private final boolean residual;

        InvertedResidual(ConvFactory convs, String prefix, Config c) {
            UnaryOperator<Tensor> activation = c.hardSwish() ? Ops::hardswish : Ops::relu;
            residual = c.stride() == 1 && c.in() == c.out();
            block = new Sequential(prefix + ".block");
            if (c.expanded() != c.in()) {
                block.add(new Conv2dNormActivation(
                        convs, block.next(), c.in(), c.expanded(), 1, 1, 1, NORM, activation, false));
            }
            block.add(new Conv2dNormActivation(
                    convs,
                    block.next(),
                    c.expanded(),
                    c.expanded(),
                    c.kernel(),
                    c.stride(),
                    c.expanded(),
                    NORM,
                    activation,
                    false));
            if (c.se()) {
                SqueezeExcitation se =
                        new SqueezeExcitation(convs, block.next(), c.expanded(), makeDivisible(c.expanded() / 4, 8));
                block.addModule(se, se::forward);
            }
            block.add(new Conv2dNormActivation(convs, block.next(), c.expanded(), c.out(), 1, 1, 1, NORM, null, false));
            register_module("block", block);
        }

        Tensor forward(Tensor x) {
            Tensor out = block.forward(x);
            return residual ? Ops.add(out, x) : out;
        }
    }

    /** torchvision.ops.SqueezeExcitation with ReLU and hard-sigmoid: x * hsigmoid(fc2(relu(fc1(avgpool(x))))). */
    static final class SqueezeExcitation extends Module {
        private final ConvLayer fc1;
        private final ConvLayer fc2;

        SqueezeExcitation(ConvFactory convs, String prefix, int channels, int squeeze) {
            fc1 = convs.create(Conv2dSpec.of(prefix + ".fc1", channels, squeeze, 1, 1, 0, 1, true));
            register_module("fc1", fc1.module());
            fc2 = convs.create(Conv2dSpec.of(prefix + ".fc2", squeeze, channels, 1, 1, 0, 1, true));
            register_module("fc2", fc2.module());
        }

        Tensor forward(Tensor x) {
            Tensor scale = Ops.adaptiveAvgPool2d(x, 1, 1);
            scale = Ops.hardsigmoid(fc2.forward(Ops.relu(fc1.forward(scale))));
            return Ops.mul(scale, x);
        }
    }
}
