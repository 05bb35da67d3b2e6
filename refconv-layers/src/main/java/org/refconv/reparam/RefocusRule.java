package org.refconv.reparam;

import java.util.Locale;

import org.refconv.layers.Conv2dSpec;

/** Which convs of a model become RefConv (or Rep-Adapter). 1x1 convs never do. */
public enum RefocusRule {
    /** Every conv with K > 1 (stem, depthwise, grouped, dense), as in the paper's Section 3.3. Default. */
    ALL,
    /** The stem and the depthwise convs only, as the official code does for MobileNetV3. */
    OFFICIAL;

    public boolean replaces(Conv2dSpec spec, boolean stem) {
        if (spec.kernelH() <= 1 && spec.kernelW() <= 1) {
            return false;
        }
        return this == ALL || stem || spec.isDepthwise();
    }

    public static RefocusRule parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown refocus rule '" + s + "': expected all or official");
        }
    }
}
