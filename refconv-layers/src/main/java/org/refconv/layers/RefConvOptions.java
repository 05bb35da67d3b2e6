package org.refconv.layers;

import java.util.Locale;

/**
 * How a {@link RefConv2d} is built.
 *
 * @param init       initialisation of the refocusing weight Wr
 * @param identity   add the basis weight back (Wt = Wb * Wr + Wb, Eq. 1); off only for the paper's ablation
 * @param mapKernel  kernel size of the refocusing transform (3 in the paper and the official code, even for 5x5)
 * @param trainBasis the basis Wb is a trainable parameter instead of a frozen buffer (the paper's ablation)
 */
public record RefConvOptions(WrInit init, boolean identity, int mapKernel, boolean trainBasis) {

    /** Initialisation of Wr. */
    public enum WrInit {
        /** Xavier uniform, as the paper says (default). */
        XAVIER,
        /** Zero: the refocused model starts equal to the pretrained one (RefConv-ZI). */
        ZERO,
        /** torch.nn.Conv2d's own default (kaiming_uniform, a = sqrt 5): what the official code effectively uses. */
        KAIMING;

        public static WrInit parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown Wr init '" + s + "': expected xavier, zero or kaiming");
            }
        }
    }

    public static final RefConvOptions DEFAULT = new RefConvOptions(WrInit.XAVIER, true, 3, false);

    public RefConvOptions {
        if (mapKernel < 1 || mapKernel % 2 == 0) {
            throw new IllegalArgumentException("the refocusing kernel must be odd (it is padded by k/2 to keep the "
                    + "K x K shape of each basis kernel), got " + mapKernel);
        }
    }

    public RefConvOptions withInit(WrInit newInit) {
        return new RefConvOptions(newInit, identity, mapKernel, trainBasis);
    }

    public RefConvOptions withIdentity(boolean on) {
        return new RefConvOptions(init, on, mapKernel, trainBasis);
    }

    public RefConvOptions withTrainableBasis(boolean on) {
        return new RefConvOptions(init, identity, mapKernel, on);
    }
}
