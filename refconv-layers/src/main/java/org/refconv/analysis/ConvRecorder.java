package org.refconv.analysis;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.layers.Conv2dSpec;
import org.refconv.layers.ConvFactory;
import org.refconv.layers.ConvLayer;

/**
 * A conv factory that delegates to another and records every conv it makes (spec, whether it is the stem) and, once
 * the model has run forward, each conv's output height and width: what FLOP counts need.
 */
final class ConvRecorder implements ConvFactory {

    /** One conv of the model; {@code outH}/{@code outW} are 0 until a forward pass went through it. */
    static final class Entry {
        final Conv2dSpec spec;
        final boolean stem;
        long outH;
        long outW;

        Entry(Conv2dSpec spec, boolean stem) {
            this.spec = spec;
            this.stem = stem;
        }
    }

    private final ConvFactory delegate;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    ConvRecorder(ConvFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public ConvLayer create(Conv2dSpec spec, boolean stem) {
        ConvLayer inner = delegate.create(spec, stem);
        Entry entry = new Entry(spec, stem);
        entries.put(spec.name(), entry);
        return new ConvLayer() {
            @Override
            public Tensor forward(Tensor x) {
                Tensor y = inner.forward(x);
                entry.outH = y.size(2);
                entry.outW = y.size(3);
                return y;
            }

            @Override
            public Conv2dSpec spec() {
                return inner.spec();
            }

            @Override
            public Module module() {
                return inner.module();
            }
        };
    }

    /** Every conv by state_dict prefix, in creation order. */
    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }
}
