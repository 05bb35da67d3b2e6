package org.refconv.data.input;

import java.util.Locale;

/**
 * The training augmentation presets (the train job's {@code augment}), each with the evaluation transform that goes
 * with it: what validation, publish and the model card use.
 */
public enum Augment {
    /** RandomResizedCrop(size, scale 0.08-1) + flip; evaluated at Resize(size * 8/7) + CenterCrop(size). */
    IMAGENET,
    /** The image at size, RandomCrop(size, padding 4) + flip; evaluated at Resize(size) + CenterCrop(size). */
    CIFAR,
    /** No augmentation: training sees the evaluation transform, Resize(size) + CenterCrop(size). */
    NONE;

    public static Augment parse(String s) {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public ImageTransform train(int size) {
        return switch (this) {
            case IMAGENET -> ImageTransform.train(size);
            case CIFAR -> ImageTransform.cifar(size);
            case NONE -> eval(size);
        };
    }

    public ImageTransform eval(int size) {
        return ImageTransform.val(evalResize(size), size);
    }

    /** The shorter side images are resized to before the central crop, for evaluation. */
    public int evalResize(int size) {
        return this == IMAGENET ? Preprocessing.resize(size) : size;
    }
}
