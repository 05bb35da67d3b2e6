package org.refconv.data.image;

/**
 * Optional downscaling applied while preparing: none, shorter side to N, or longer side to N. Never
 * enlarges an image.
 */
public record ResizeRule(Mode mode, int size) implements java.io.Serializable {

    public enum Mode {
        NONE,
        SHORTER_SIDE,
        MAX_SIDE
    }

    public static final ResizeRule NONE = new ResizeRule(Mode.NONE, 0);

    public ResizeRule {
        if (mode != Mode.NONE && size < 1) {
            throw new IllegalArgumentException("resize size must be >= 1 for " + mode + ", got " + size);
        }
    }

    /** Target {width, height}, or null when the image stays as it is. */
    public int[] targetSize(int width, int height) {
        int side = switch (mode) {
            case NONE -> 0;
            case SHORTER_SIDE -> Math.min(width, height);
            case MAX_SIDE -> Math.max(width, height);
        };
        if (side <= size || mode == Mode.NONE) {
            return null;
        }
        double scale = (double) size / side;
        return new int[] {Math.max(1, (int) Math.round(width * scale)), Math.max(1, (int) Math.round(height * scale))};
    }
}
