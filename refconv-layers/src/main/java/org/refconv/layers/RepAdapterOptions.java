package org.refconv.layers;

/**
 * How a Rep-Adapter layer is built.
 *
 * @param scaleInit initial per-channel scale of each branch (the BatchNorm weight of a conv branch, gamma1 and
 *                  gamma2 of a linear layer). The default 0.5 makes the two identical branches sum to one at the start:
 *                  the linear layer then starts equal to the pretrained one, the conv to its batch-normalised output.
 */
public record RepAdapterOptions(double scaleInit) {

    public static final RepAdapterOptions DEFAULT = new RepAdapterOptions(0.5);

    public RepAdapterOptions {
        if (!(scaleInit > 0) || Double.isInfinite(scaleInit)) {
            throw new IllegalArgumentException("Rep-Adapter scale init must be a positive number, got " + scaleInit);
        }
    }
}
