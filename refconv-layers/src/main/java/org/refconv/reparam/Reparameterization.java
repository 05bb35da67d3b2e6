package org.refconv.reparam;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Modules;
import org.refconv.engine.NoGrad;
import org.refconv.layers.RefConv2d;

/**
 * Moving between a plain model and its refocused twin (built by the same model class with a {@link Refocuser}):
 * loading a pretrained checkpoint as the frozen basis, and folding the trained model back into a plain one whose
 * keys and shapes are the pretrained model's.
 */
public final class Reparameterization {

    static final String MAP_SUFFIX = ".convmap.weight";

    private Reparameterization() {
    }

    /**
     * Loads a plain (pretrained) state_dict into a refocused model: every key must match except the refocusing
     * weights, which keep their init. A checkpoint that is already refocused, or of another model, is refused.
     */
    public static void loadBasis(Module refocusedModel, Refocuser refocuser, StateDict pretrained, String source) {
        for (String k : pretrained.keys()) {
            if (k.endsWith(MAP_SUFFIX)) {
                throw new IllegalArgumentException("checkpoint " + source + " is already refocused (it has '" + k
                        + "'): refocus a plain pretrained checkpoint, or fold this one first");
            }
        }
        Modules.LoadReport report = Modules.compare(refocusedModel, pretrained);
        Set<String> expectedMissing = new TreeSet<>();
        refocuser.layers().keySet().forEach(name -> expectedMissing.add(name + MAP_SUFFIX));
        List<String> missing = new ArrayList<>(report.missing());
        missing.removeAll(expectedMissing);
        if (!missing.isEmpty() || !report.unexpected().isEmpty() || !report.mismatched().isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + source + " does not match the model: missing keys "
                    + missing + "; unexpected keys " + report.unexpected() + "; shape mismatches "
                    + report.mismatched());
        }
        Modules.load(refocusedModel, pretrained, false);
    }

    /**
     * Writes the folded weights into {@code plainModel} (the same architecture built with plain convs): every RefConv
     * weight becomes Wt = Wb * Wr + Wb, computed once; every other tensor is copied. The result has exactly the
     * pretrained model's keys, order and shapes, and the same outputs as the refocused model.
     */
    public static void fold(Module refocusedModel, Refocuser refocuser, Module plainModel) {
        Map<String, Tensor> source = Modules.stateDict(refocusedModel);
        Map<String, Tensor> target = Modules.stateDict(plainModel);
        Set<String> sourceKeys = new TreeSet<>(source.keySet());
        sourceKeys.removeIf(k -> k.endsWith(MAP_SUFFIX));
        if (!sourceKeys.equals(new TreeSet<>(target.keySet()))) {
            throw new IllegalArgumentException("cannot fold: the plain model's keys differ from the refocused model's"
                    + " (without the refocusing weights): are they the same architecture?");
        }
        Map<String, RefConv2d> layers = refocuser.layers();
        try (NoGrad ignored = NoGrad.enter()) {
            for (Map.Entry<String, Tensor> e : target.entrySet()) {
                String key = e.getKey();
                String prefix = key.endsWith(".weight") ? key.substring(0, key.length() - ".weight".length()) : null;
                RefConv2d layer = prefix == null ? null : layers.get(prefix);
                Tensor value = layer != null ? layer.transformedWeight() : source.get(key);
                e.getValue().copy_(value);
            }
        }
    }
}
