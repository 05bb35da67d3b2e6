package org.refconv.reparam;

import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;

/** Builds RefConv where its rule says so (the refocused twin of a model). */
public final class Refocuser extends ReparamConvFactory<RefConv2d> {

    public Refocuser(RefocusRule rule, RefConvOptions options) {
        super(rule, spec -> new RefConv2d(spec, options));
    }
}
