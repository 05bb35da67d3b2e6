package org.refconv.data.input;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The evaluation preprocessing of a model trained by the train job (its validation transform): resize the shorter
 * side to imageSize * 8/7 (256 for 224), center-crop imageSize, RGB, scale to [0, 1], normalise with ImageNet's mean
 * and std, NCHW float32. Written into the model card so that users feed the model what it was validated on.
 */
public final class Preprocessing {

    private Preprocessing() {}

    public static int resize(int imageSize) {
        return imageSize * 8 / 7;
    }

    public static ImageTransform transform(int imageSize) {
        return ImageTransform.val(resize(imageSize), imageSize);
    }

    public static Map<String, Object> describe(int imageSize) {
        return describe(Augment.IMAGENET, imageSize);
    }

    /** The evaluation preprocessing that goes with training augmentation {@code augment} ({@link Augment#eval}). */
    public static Map<String, Object> describe(Augment augment, int imageSize) {
        int resize = augment.evalResize(imageSize);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resizeShorterSide", resize);
        m.put("centerCrop", imageSize);
        m.put("channels", "RGB");
        m.put("scale", "pixel / 255");
        m.put("mean", Normalization.IMAGENET.mean());
        m.put("std", Normalization.IMAGENET.std());
        m.put("layout", "NCHW float32");
        m.put("trainingAugmentation", augment.label());
        m.put(
                "torchvision",
                "Resize(" + resize + ") + CenterCrop(" + imageSize + ") + ToTensor() + Normalize(mean, std)");
        return m;
    }
}
