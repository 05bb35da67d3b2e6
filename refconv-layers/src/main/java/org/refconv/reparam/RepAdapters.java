package org.refconv.reparam;

import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.RepAdapterConv2d;
import org.refconv.layers.RepAdapterOptions;

/** Builds Rep-Adapter convs where its rule says so (the same convs RefConv would refocus, for a fair comparison). */
public final class RepAdapters extends ReparamConvFactory<RepAdapterConv2d> {

    private final RepAdapterOptions options;

    public RepAdapters(RefocusRule rule, RepAdapterOptions options) {
        super(rule);
        this.options = options;
    }

    @Override
    protected RepAdapterConv2d newLayer(Conv2dSpec spec) {
        return new RepAdapterConv2d(spec, options);
    }

    public RepAdapterOptions options() {
        return options;
    }
}
