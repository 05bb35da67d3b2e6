package org.refconv.reparam;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import org.refconv.layers.Conv2d;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;
import org.refconv.layers.ReparamConv;

/**
 * A conv factory that builds a re-parameterized layer where its rule says so and plain convs elsewhere, and
 * remembers every such layer by state_dict prefix (what loading a basis and folding need). One per model.
 *
 * @param <L> the layer type it builds
 */
public class ReparamConvFactory<L extends ReparamConv> implements ConvFactory {

    private final RefocusRule rule;
    private final Function<Conv2dSpec, L> newLayer;
    private final Map<String, L> layers = new LinkedHashMap<>();

    /** @param newLayer a new re-parameterized layer with the geometry of the given spec */
    protected ReparamConvFactory(RefocusRule rule, Function<Conv2dSpec, L> newLayer) {
        this.rule = rule;
        this.newLayer = newLayer;
    }

    @Override
    public ConvLayer create(Conv2dSpec spec, boolean stem) {
        if (!rule.replaces(spec, stem)) {
            return new Conv2d(spec);
        }
        if (layers.containsKey(spec.name())) {
            throw new IllegalStateException("two convs named '" + spec.name() + "': one factory per model");
        }
        L layer = newLayer.apply(spec);
        layers.put(spec.name(), layer);
        return layer;
    }

    /** The layers made so far, by state_dict prefix, in creation order. */
    public Map<String, L> layers() {
        return Collections.unmodifiableMap(layers);
    }

    public RefocusRule rule() {
        return rule;
    }
}
