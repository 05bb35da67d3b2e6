package org.refconv.reparam;

import org.refconv.layers.RepAdapterConv2d;
import org.refconv.layers.RepAdapterOptions;

/** Builds Rep-Adapter convs where its rule says so (the same convs RefConv would refocus, for a fair comparison). */
public final class RepAdapters extends ReparamConvFactory<RepAdapterConv2d> {

    public RepAdapters(RefocusRule rule, RepAdapterOptions options) {
        super(rule, spec -> new RepAdapterConv2d(spec, options));
    }
}
