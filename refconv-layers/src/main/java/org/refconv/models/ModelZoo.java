package org.refconv.models;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.refconv.layers.ConvFactory;

/**
 * The models by torchvision's names (and ours for the small-image ones). A model built with
 * {@link ConvFactory#plain()} has torchvision's state_dict; built with a Refocuser it is the refocused twin.
 */
public final class ModelZoo {

    /** How every zoo model is made; ImageNet-style models ignore the image size (they pool adaptively). */
    @FunctionalInterface
    public interface Constructor {
        Classifier create(ConvFactory convs, int inChannels, int numClasses, int imageSize);
    }

    private static final Map<String, Constructor> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("cifar_quick", CifarQuick::new);
        MODELS.put("resnet18_small", (c, in, n, s) -> ResNet.resnet18Small(c, in, n));
        MODELS.put("resnet18", (c, in, n, s) -> ResNet.resnet18(c, in, n));
        MODELS.put("resnet34", (c, in, n, s) -> ResNet.resnet34(c, in, n));
        MODELS.put("resnet50", (c, in, n, s) -> ResNet.resnet50(c, in, n));
        MODELS.put("mobilenet_v2", (c, in, n, s) -> new MobileNetV2(c, in, n));
        MODELS.put("mobilenet_v3_small", (c, in, n, s) -> MobileNetV3.small(c, in, n));
        MODELS.put("mobilenet_v3_large", (c, in, n, s) -> MobileNetV3.large(c, in, n));
        MODELS.put("shufflenet_v2_x1_0", (c, in, n, s) -> new ShuffleNetV2(c, in, n));
    }

    private ModelZoo() {}

    public static Classifier create(String name, ConvFactory convs, int inChannels, int numClasses, int imageSize) {
        return constructor(name).create(convs, inChannels, numClasses, imageSize);
    }

    /** @throws IllegalArgumentException listing the known names */
    public static Constructor constructor(String name) {
        Constructor c = MODELS.get(name);
        if (c == null) {
            throw new IllegalArgumentException(
                    "unknown model '" + name + "'; known models: " + String.join(", ", names()));
        }
        return c;
    }

    public static List<String> names() {
        return Collections.unmodifiableList(List.copyOf(MODELS.keySet()));
    }
}
