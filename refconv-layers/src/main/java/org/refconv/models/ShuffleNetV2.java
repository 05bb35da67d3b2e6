package org.refconv.models;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Ops;
import org.refconv.layers.BatchNorm2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.Linear;
import org.refconv.layers.Sequential;

/**
 * torchvision.models.shufflenet_v2_x1_0 with torchvision's state_dict keys. torchvision applies no custom init here,
 * so the layers keep PyTorch's defaults.
 */
public class ShuffleNetV2 extends Classifier {

    private static final int[] REPEATS = {4, 8, 4};
    private static final int[] CHANNELS_X1_0 = {24, 116, 232, 464, 1024};

    private final Sequential conv1;
    private final List<Sequential> stages = new ArrayList<>();
    private final Sequential conv5;
    private final Linear fc;

    public ShuffleNetV2(ConvFactory convs, int inChannels, int numClasses) {
        int[] ch = CHANNELS_X1_0;
        conv1 = new Sequential("conv1");
        conv1.add(convs.create(Conv2dSpec.of(conv1.next(), inChannels, ch[0], 3, 2, 1, 1, false), true));
        conv1.add(new BatchNorm2d(ch[0]));
        conv1.add(Ops::relu);
        register_module("conv1", conv1);
        int in = ch[0];
        for (int s = 0; s < REPEATS.length; s++) {
            Sequential stage = new Sequential("stage" + (s + 2));
            for (int i = 0; i < REPEATS[s]; i++) {
                InvertedResidual unit =
                        new InvertedResidual(convs, stage.next(), i == 0 ? in : ch[s + 1], ch[s + 1], i == 0 ? 2 : 1);
                stage.addModule(unit, unit::forward);
            }
            in = ch[s + 1];
            stages.add(register_module("stage" + (s + 2), stage));
        }
        conv5 = new Sequential("conv5");
        conv5.add(convs.create(Conv2dSpec.of(conv5.next(), in, ch[4], 1, 1, 0, 1, false)));
        conv5.add(new BatchNorm2d(ch[4]));
        conv5.add(Ops::relu);
        register_module("conv5", conv5);
        fc = register_module("fc", new Linear(ch[4], numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = Ops.maxPool2d(conv1.forward(x), 3, 2, 1);
        for (Sequential stage : stages) {
            x = stage.forward(x);
        }
        // torchvision's x.mean([2, 3]): the global average pool.
        return fc.forward(Ops.flatten(Ops.adaptiveAvgPool2d(conv5.forward(x), 1, 1), 1));
    }

    /**
     * Stride 2: both branches see the whole input (branch1: depthwise 3x3 + BN, 1x1 + BN + ReLU). Stride 1: the
     * channels are split in half and only the second half goes through branch2 (1x1, depthwise 3x3, 1x1). The halves
     * are concatenated and shuffled.
     */
    static final class InvertedResidual extends Module {
        private final int stride;
        private final Sequential branch1;
        private final Sequential branch2;

        InvertedResidual(ConvFactory convs, String prefix, int in, int out, int stride) {
            this.stride = stride;
            int features = out / 2;
            if (stride == 1 && in != features * 2) {
                throw new IllegalArgumentException(prefix + ": stride 1 needs in (" + in + ") = out (" + out + ")");
            }
            if (stride > 1) {
                // torchvision registers an empty Sequential as branch1 for stride 1: it has no state, so we skip it.
                branch1 = new Sequential(prefix + ".branch1");
                branch1.add(convs.create(Conv2dSpec.of(branch1.next(), in, in, 3, stride, 1, in, false)));
                branch1.add(new BatchNorm2d(in));
                branch1.add(convs.create(Conv2dSpec.of(branch1.next(), in, features, 1, 1, 0, 1, false)));
                branch1.add(new BatchNorm2d(features));
                branch1.add(Ops::relu);
                register_module("branch1", branch1);
            } else {
                branch1 = null;
            }
            branch2 = new Sequential(prefix + ".branch2");
            branch2.add(convs.create(
                    Conv2dSpec.of(branch2.next(), stride > 1 ? in : features, features, 1, 1, 0, 1, false)));
            branch2.add(new BatchNorm2d(features));
            branch2.add(Ops::relu);
            branch2.add(convs.create(Conv2dSpec.of(branch2.next(), features, features, 3, stride, 1, features, false)));
            branch2.add(new BatchNorm2d(features));
            branch2.add(convs.create(Conv2dSpec.of(branch2.next(), features, features, 1, 1, 0, 1, false)));
            branch2.add(new BatchNorm2d(features));
            branch2.add(Ops::relu);
            register_module("branch2", branch2);
        }

        Tensor forward(Tensor x) {
            Tensor out;
            if (stride == 1) {
                Tensor[] halves = Ops.chunk(x, 2, 1);
                out = Ops.cat(1, halves[0], branch2.forward(halves[1]));
            } else {
                out = Ops.cat(1, branch1.forward(x), branch2.forward(x));
            }
            return Ops.channelShuffle(out, 2);
        }
    }
}
