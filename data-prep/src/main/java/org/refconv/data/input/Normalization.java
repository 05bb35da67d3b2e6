package org.refconv.data.input;

import java.io.Serializable;

/** Per-channel (RGB) mean and standard deviation applied to pixel values scaled to [0, 1]. */
public record Normalization(float[] mean, float[] std) implements Serializable {
    public static final Normalization IMAGENET =
            new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    public Normalization {
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("mean and std need 3 values (R, G, B)");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be > 0");
            }
        }
    }
}
