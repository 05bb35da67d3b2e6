package org.refconv.reparam;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.refconv.layers.Conv2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.RefConv2d;
import org.refconv.layers.RefConvOptions;

/**
 * A conv factory that builds RefConv where its rule says so and plain convs elsewhere, and remembers every
 * RefConv it made by state_dict prefix (what loading a basis and folding need).
 */
public final class Refocuser implements ConvFactory {

    private final RefocusRule rule;
    private final RefConvOptions options;
    private final Map<String, RefConv2d> refocused = new LinkedHashMap<>();

    public Refocuser(RefocusRule rule, RefConvOptions options) {
        this.rule = rule;
        this.options = options;
    }

    @Override
    public ConvLayer create(Conv2dSpec spec, boolean stem) {
        if (!rule.replaces(spec, stem)) {
            return new Conv2d(spec);
        }
        if (refocused.containsKey(spec.name())) {
            throw new IllegalStateException("two convs named '" + spec.name() + "': one Refocuser per model");
        }
        RefConv2d layer = new RefConv2d(spec, options);
        refocused.put(spec.name(), layer);
        return layer;
    }

    /** The RefConv layers made so far, by state_dict prefix, in creation order. */
    public Map<String, RefConv2d> layers() {
        return Collections.unmodifiableMap(refocused);
    }

    public RefocusRule rule() {
        return rule;
    }

    public RefConvOptions options() {
        return options;
    }
}
