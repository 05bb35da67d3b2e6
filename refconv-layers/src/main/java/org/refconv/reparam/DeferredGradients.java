package org.refconv.reparam;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.Tensors;
import org.refconv.layers.RefConv2d;

/**
 * The RefConv layers of a model whose refocusing gradient is computed after backward rather than by autograd (the
 * fused transform, see {@link RefConv2d#usesFusedTransform()}). A training step runs backward, averages the
 * gradients over ranks, then calls {@link #apply()} before the optimizer step. Averaging dWt instead of dWr gives
 * the same mean (dWr is linear in dWt, with the same frozen Wb on every rank) and sends the same number of values
 * for a dense conv: {@link #syncTargets} says which tensor's gradient to average for each trainable parameter.
 */
public final class DeferredGradients {

    /** No layer defers its gradient (plain models, Rep-Adapter, or the fused transform unavailable). */
    public static final DeferredGradients NONE = new DeferredGradients(List.of());

    private final List<RefConv2d> layers;

    private DeferredGradients(List<RefConv2d> layers) {
        this.layers = layers;
    }

    /** The deferring layers among a factory's (none for a factory that makes no RefConv layers, or null). */
    public static DeferredGradients of(ReparamConvFactory<?> factory) {
        if (factory == null) {
            return NONE;
        }
        List<RefConv2d> fused = new ArrayList<>();
        for (Object layer : factory.layers().values()) {
            if (layer instanceof RefConv2d r && r.usesFusedTransform()) {
                fused.add(r);
            }
        }
        return fused.isEmpty() ? NONE : new DeferredGradients(List.copyOf(fused));
    }

    /** The number of layers whose gradient {@link #apply()} computes. */
    public int size() {
        return layers.size();
    }

    /**
     * For each trainable parameter, the tensor whose gradient backward fills: a deferring layer's Wr is replaced by its
     * Wt leaf, every other parameter is itself. Same order as {@code parameters}.
     */
    public List<Tensor> syncTargets(List<Tensor> parameters) {
        // Matched by data pointer: two Java handles of one parameter are different objects.
        Map<Long, Tensor> leafByRefocusing = new HashMap<>();
        for (RefConv2d layer : layers) {
            leafByRefocusing.put(Tensors.address(layer.refocusingWeight()), layer.fusedWeight());
        }
        List<Tensor> targets = new ArrayList<>(parameters.size());
        for (Tensor p : parameters) {
            targets.add(leafByRefocusing.getOrDefault(Tensors.address(p), p));
        }
        return targets;
    }

    /** dWr of every deferring layer from the dWt that backward (and the averaging) left; call before the update. */
    public void apply() {
        for (RefConv2d layer : layers) {
            layer.applyFusedGradient();
        }
    }
}
