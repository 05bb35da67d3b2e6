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
import org.refconv.engine.Tensors;
import org.refconv.layers.ReparamConv;

/**
 * Moving between a plain model and its re-parameterized twin (the same model class built with a
 * {@link ReparamConvFactory}: RefConv or Rep-Adapter): loading a pretrained checkpoint as the frozen basis, and
 * folding the trained model back into a plain one whose keys and shapes are the pretrained model's.
 */
public final class Reparameterization {

    static final String MAP_SUFFIX = ".convmap.weight";

    private Reparameterization() {}

    /**
     * Loads a plain (pretrained) state_dict into a re-parameterized model: every key must match except the tensors
     * the layers add, which keep their init (a Rep-Adapter's tuned branch then starts as a copy of the basis). A
     * checkpoint that is already re-parameterized, or of another model, is refused.
     */
    public static void loadBasis(Module model, ReparamConvFactory<?> factory, StateDict pretrained, String source) {
        loadBasis(model, factory, pretrained, source, Set.of());
    }

    /**
     * As {@link #loadBasis(Module, ReparamConvFactory, StateDict, String)}, where the checkpoint may also lack the
     * keys {@code keepInit} (a new classifier head), which keep their init.
     */
    public static void loadBasis(
            Module model, ReparamConvFactory<?> factory, StateDict pretrained, String source, Set<String> keepInit) {
        Set<String> added = addedKeys(factory);
        for (String k : pretrained.keys()) {
            if (added.contains(k) || k.endsWith(MAP_SUFFIX)) {
                throw new IllegalArgumentException("checkpoint " + source + " is already refocused or adapted (it has '"
                        + k + "'): start from a plain pretrained checkpoint, or fold this one first");
            }
        }
        Modules.LoadReport report = Modules.compare(model, pretrained);
        List<String> missing = new ArrayList<>(report.missing());
        missing.removeAll(added);
        missing.removeAll(keepInit);
        if (!missing.isEmpty()
                || !report.unexpected().isEmpty()
                || !report.mismatched().isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + source + " does not match the model: missing keys "
                    + missing + "; unexpected keys " + report.unexpected() + "; shape mismatches "
                    + report.mismatched());
        }
        Modules.load(model, pretrained, false);
        Map<String, Tensor> state = Modules.stateDict(model);
        List<String> order = new ArrayList<>(state.keySet());
        factory.layers().forEach((prefix, layer) -> {
            String norm = followingNorm(order, state, prefix);
            layer.basisLoaded(
                    norm == null
                            ? null
                            : new ReparamConv.NormStatistics(
                                    state.get(norm + ".running_mean"), state.get(norm + ".running_var")));
        });
    }

    /**
     * Writes the folded weights into {@code plainModel} (the same architecture built with plain convs): every
     * re-parameterized conv becomes its merged weight, computed once; every other tensor is copied. A merged bias
     * goes into the conv's own bias, or, for a conv without one (the torchvision case: conv then BatchNorm), into the
     * running mean of the BatchNorm right after it: BN(z + c) = BN'(z) with mean' = mean - c, exact in eval mode. The
     * result has exactly the pretrained model's keys, order and shapes, and the same eval outputs.
     */
    public static void fold(Module model, ReparamConvFactory<?> factory, Module plainModel) {
        Map<String, Tensor> source = Modules.stateDict(model);
        Map<String, Tensor> target = Modules.stateDict(plainModel);
        Set<String> added = addedKeys(factory);
        Set<String> sourceKeys = new TreeSet<>(source.keySet());
        sourceKeys.removeAll(added);
        if (!sourceKeys.equals(new TreeSet<>(target.keySet()))) {
            throw new IllegalArgumentException("cannot fold: the plain model's keys differ from the re-parameterized"
                    + " model's (without the added tensors): are they the same architecture?");
        }
        List<String> order = new ArrayList<>(target.keySet());
        try (NoGrad ignored = NoGrad.enter()) {
            target.forEach((key, t) -> t.copy_(source.get(key)));
            for (Map.Entry<String, ? extends ReparamConv> e : factory.layers().entrySet()) {
                String prefix = e.getKey();
                ReparamConv.ConvWeights merged = e.getValue().merge();
                target.get(prefix + ".weight").copy_(merged.weight());
                if (merged.bias() == null) {
                    continue;
                }
                Tensor ownBias = target.get(prefix + ".bias");
                if (ownBias != null) {
                    ownBias.copy_(merged.bias());
                } else {
                    String norm = followingNorm(order, target, prefix);
                    if (norm == null) {
                        throw new IllegalArgumentException("cannot fold conv '" + prefix + "': its merged form has a"
                                + " bias, the conv has none, and no BatchNorm follows it to absorb it");
                    }
                    target.get(norm + ".running_mean").sub_(merged.bias());
                }
            }
        }
    }

    /** Every state_dict key the factory's layers add to the plain model. */
    static Set<String> addedKeys(ReparamConvFactory<?> factory) {
        Set<String> keys = new TreeSet<>();
        factory.layers().forEach((prefix, layer) -> layer.addedKeys().forEach(k -> keys.add(prefix + "." + k)));
        return keys;
    }

    /**
     * The BatchNorm registered right after conv {@code prefix} (torchvision registers a conv's norm next to it:
     * conv1/bn1, downsample.0/.1, Conv2dNormActivation's 0/1), with one channel per conv output; null if none. The
     * conv's own tensors (bias, a re-parameterized layer's added ones) are skipped.
     */
    private static String followingNorm(List<String> order, Map<String, Tensor> state, String prefix) {
        int i = order.indexOf(prefix + ".weight") + 1;
        while (i < order.size() && order.get(i).startsWith(prefix + ".")) {
            i++;
        }
        String next = i < order.size() ? order.get(i) : "";
        String norm = next.endsWith(".weight") ? next.substring(0, next.length() - ".weight".length()) : "";
        Tensor mean = state.get(norm + ".running_mean");
        long channels = Tensors.shape(state.get(prefix + ".weight"))[0];
        return mean != null && Tensors.shape(mean).length == 1 && Tensors.shape(mean)[0] == channels ? norm : null;
    }
}
