package org.refconv.reparam;

import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;

/** Builds RefConv where its rule says so (the refocused twin of a model). */
public final class Refocuser extends ReparamConvFactory<RefConv2d> {

    private final RefConvOptions options;

    public Refocuser(RefocusRule rule, RefConvOptions options) {
        super(rule);
        this.options = options;
    }

    @Override
    protected RefConv2d newLayer(Conv2dSpec spec) {
        return new RefConv2d(spec, options);
    }

    public RefConvOptions options() {
        return options;
    }
}
