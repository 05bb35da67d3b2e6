package org.refconv.data.input;

/**
 * A batch ready for the tensor engine: {@code images} holds {@code size * 3 * height * width} floats in NCHW
 * order (RGB, normalised), {@code labels} and {@code keys} one entry per image.
 */
public record Batch(float[] images, int[] labels, String[] keys, int height, int width) {
    public int size() {
        return labels.length;
    }
}
