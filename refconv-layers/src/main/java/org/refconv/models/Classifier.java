package org.refconv.models;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** An image classifier: images [N, C, H, W] to logits [N, classes]. Every model of the zoo is one. */
public abstract class Classifier extends Module {

    public abstract Tensor forward(Tensor images);
}
