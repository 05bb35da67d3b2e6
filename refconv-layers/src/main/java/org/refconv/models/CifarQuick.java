package org.refconv.models;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Ops;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.Linear;

/**
 * Cifar-quick (Caffe's CIFAR-10 "quick" net, used in the RefConv paper's CIFAR experiments): three 5x5 convs with
 * pooling, then two fully connected layers. Pools are padded by 1 so that 32 px maps halve exactly (Caffe rounds up).
 */
public class CifarQuick extends Classifier {

    private final ConvLayer conv1;
    private final ConvLayer conv2;
    private final ConvLayer conv3;
    private final Linear fc1;
    private final Linear fc2;

    public CifarQuick(ConvFactory convs, int inChannels, int numClasses, int imageSize) {
        if (imageSize % 8 != 0) {
            throw new IllegalArgumentException("Cifar-quick needs an image size divisible by 8, got " + imageSize);
        }
        conv1 = convs.create(Conv2dSpec.of("conv1", inChannels, 32, 5, 1, 2, 1, true), true);
        register_module("conv1", conv1.module());
        conv2 = convs.create(Conv2dSpec.of("conv2", 32, 32, 5, 1, 2, 1, true));
        register_module("conv2", conv2.module());
        conv3 = convs.create(Conv2dSpec.of("conv3", 32, 64, 5, 1, 2, 1, true));
        register_module("conv3", conv3.module());
        int side = imageSize / 8;
        fc1 = register_module("fc1", new Linear(64 * side * side, 64));
        fc2 = register_module("fc2", new Linear(64, numClasses));
    }

    @Override
    public Tensor forward(Tensor x) {
        x = Ops.relu(Ops.maxPool2d(conv1.forward(x), 3, 2, 1));
        x = Ops.avgPool2d(Ops.relu(conv2.forward(x)), 3, 2, 1);
        x = Ops.avgPool2d(Ops.relu(conv3.forward(x)), 3, 2, 1);
        x = Ops.flatten(x, 1);
        return fc2.forward(fc1.forward(x));
    }
}
