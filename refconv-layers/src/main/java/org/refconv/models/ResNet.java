package org.refconv.models;

import java.util.ArrayList;
import java.util.List;

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
 * torchvision.models.resnet: ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck, stride on the 3x3 conv as in
 * torchvision's "v1.5"), with torchvision's state_dict keys, plus a variant for 28-32 px images (3x3 stride-1 stem,
 * no max-pool; same keys, only conv1's kernel differs).
 */
public class ResNet extends Classifier {

    /** The residual block of a family. */
    private enum Block {
        BASIC(1),
        BOTTLENECK(4);

        final int expansion;

        Block(int expansion) {
            this.expansion = expansion;
        }
    }

    private final ConvLayer conv1;
    private final BatchNorm2d bn1;
    private final boolean maxPool;
    private final List<Sequential> layers = new ArrayList<>();
    private final Linear fc;

    public static ResNet resnet18(ConvFactory convs, int inChannels, int numClasses) {
        return new ResNet(convs, Block.BASIC, new int[] {2, 2, 2, 2}, inChannels, numClasses, false);
    }

    public static ResNet resnet34(ConvFactory convs, int inChannels, int numClasses) {
        return new ResNet(convs, Block.BASIC, new int[] {3, 4, 6, 3}, inChannels, numClasses, false);
    }

    public static ResNet resnet50(ConvFactory convs, int inChannels, int numClasses) {
        return new ResNet(convs, Block.BOTTLENECK, new int[] {3, 4, 6, 3}, inChannels, numClasses, false);
    }

    /** ResNet-18 for small images (CIFAR-style): 3x3 stride-1 stem and no max-pool, so 32 px keeps 4x4 at layer4. */
    public static ResNet resnet18Small(ConvFactory convs, int inChannels, int numClasses) {
        return new ResNet(convs, Block.BASIC, new int[] {2, 2, 2, 2}, inChannels, numClasses, true);
    }

    private ResNet(
            ConvFactory factory, Block block, int[] blocks, int inChannels, int numClasses, boolean smallImages) {
        ConvFactory convs = TorchvisionInit.kaimingNormalFanOut(factory);
        Conv2dSpec stem = smallImages
                ? Conv2dSpec.of("conv1", inChannels, 64, 3, 1, 1, 1, false)
                : Conv2dSpec.of("conv1", inChannels, 64, 7, 2, 3, 1, false);
        conv1 = convs.create(stem, true);
        register_module("conv1", conv1.module());
        bn1 = register_module("bn1", new BatchNorm2d(64));
        maxPool = !smallImages;
        int inplanes = 64;
        for (int i = 0; i < 4; i++) {
            int planes = 64 << i;
            Sequential layer = new Sequential("layer" + (i + 1));
            for (int b = 0; b < blocks[i]; b++) {
                int stride = i > 0 && b == 0 ? 2 : 1;
                ResidualBlock unit = block == Block.BASIC
                        ? new BasicBlock(convs, layer.next(), inplanes, planes, stride)
                        : new Bottleneck(convs, layer.next(), inplanes, planes, stride);
                layer.addModule(unit, unit::forward);
                inplanes = planes * block.expansion;
            }
            layers.add(register_module("layer" + (i + 1), layer));
        }
        fc = register_module("fc", new Linear(512 * block.expansion, numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = Ops.relu(bn1.forward(conv1.forward(x)));
        if (maxPool) {
            x = Ops.maxPool2d(x, 3, 2, 1);
        }
        for (Sequential layer : layers) {
            x = layer.forward(x);
        }
        return fc.forward(Ops.flatten(Ops.adaptiveAvgPool2d(x, 1, 1), 1));
    }

    /** The 1x1 projection ("downsample": conv "0", BN "1") when a block changes shape, else null. */
    private static Sequential downsample(ConvFactory convs, String prefix, int in, int out, int stride) {
        if (stride == 1 && in == out) {
            return null;
        }
        Sequential d = new Sequential(prefix + ".downsample");
        d.add(convs.create(Conv2dSpec.of(d.next(), in, out, 1, stride, 0, 1, false)));
        d.add(new BatchNorm2d(out));
        return d;
    }

    /** A block of a stage: registered in the stage under its index. */
    abstract static class ResidualBlock extends Module {
        abstract Tensor forward(Tensor x);
    }

    /** Two 3x3 convs (ResNet-18/34). */
    static final class BasicBlock extends ResidualBlock {
        private final ConvLayer conv1;
        private final BatchNorm2d bn1;
        private final ConvLayer conv2;
        private final BatchNorm2d bn2;
        private final Sequential downsample;

        BasicBlock(ConvFactory convs, String prefix, int inplanes, int planes, int stride) {
            conv1 = convs.create(Conv2dSpec.of(prefix + ".conv1", inplanes, planes, 3, stride, 1, 1, false));
            register_module("conv1", conv1.module());
            bn1 = register_module("bn1", new BatchNorm2d(planes));
            conv2 = convs.create(Conv2dSpec.of(prefix + ".conv2", planes, planes, 3, 1, 1, 1, false));
            register_module("conv2", conv2.module());
            bn2 = register_module("bn2", new BatchNorm2d(planes));
            downsample = downsample(convs, prefix, inplanes, planes, stride);
            if (downsample != null) {
                register_module("downsample", downsample);
            }
        }

        @Override
        Tensor forward(Tensor x) {
            Tensor out = Ops.relu(bn1.forward(conv1.forward(x)));
            out = bn2.forward(conv2.forward(out));
            return Ops.relu(Ops.add(out, downsample == null ? x : downsample.forward(x)));
        }
    }

    /** 1x1 reduce, 3x3 (strided), 1x1 expand by 4 (ResNet-50). */
    static final class Bottleneck extends ResidualBlock {
        private final ConvLayer conv1;
        private final BatchNorm2d bn1;
        private final ConvLayer conv2;
        private final BatchNorm2d bn2;
        private final ConvLayer conv3;
        private final BatchNorm2d bn3;
        private final Sequential downsample;

        Bottleneck(ConvFactory convs, String prefix, int inplanes, int planes, int stride) {
            int out = planes * Block.BOTTLENECK.expansion;
            conv1 = convs.create(Conv2dSpec.of(prefix + ".conv1", inplanes, planes, 1, 1, 0, 1, false));
            register_module("conv1", conv1.module());
            bn1 = register_module("bn1", new BatchNorm2d(planes));
            conv2 = convs.create(Conv2dSpec.of(prefix + ".conv2", planes, planes, 3, stride, 1, 1, false));
            register_module("conv2", conv2.module());
            bn2 = register_module("bn2", new BatchNorm2d(planes));
            conv3 = convs.create(Conv2dSpec.of(prefix + ".conv3", planes, out, 1, 1, 0, 1, false));
            register_module("conv3", conv3.module());
            bn3 = register_module("bn3", new BatchNorm2d(out));
            downsample = downsample(convs, prefix, inplanes, out, stride);
            if (downsample != null) {
                register_module("downsample", downsample);
            }
        }

        @Override
        Tensor forward(Tensor x) {
            Tensor out = Ops.relu(bn1.forward(conv1.forward(x)));
            out = Ops.relu(bn2.forward(conv2.forward(out)));
            out = bn3.forward(conv3.forward(out));
            return Ops.relu(Ops.add(out, downsample == null ? x : downsample.forward(x)));
        }
    }
}
