package org.refconv.layers;

import java.util.List;

import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.NoGrad;

/**
 * A conv trained in a re-parameterized form that merges back into one plain conv of the original geometry:
 * {@link RefConv2d} (Wt = Wb * Wr + Wb) and {@link RepAdapterConv2d} (frozen and tuned branch, BN-scaled). Its
 * state_dict holds the original {@code weight} (the frozen pretrained basis) and, where the conv has one, {@code
 * bias}, so a plain checkpoint loads by name; the tensors it adds are listed by {@link #addedKeys()}.
 */
public interface ReparamConv extends ConvLayer {

    /** state_dict keys, relative to this layer, that a plain checkpoint does not have (they train from their init). */
    List<String> addedKeys();

    /**
     * Called once the pretrained basis is in {@code weight}: a branch that starts as a copy of it is set here.
     *
     * @param following the running statistics of the BatchNorm right after this conv in the model (the pretrained
     *                  statistics of this conv's output), or null when none follows; a layer may take them over
     */
    default void basisLoaded(NormStatistics following) {}

    /** A BatchNorm's running mean and variance, as tensors of the model (writes change the model). */
    record NormStatistics(Tensor runningMean, Tensor runningVar) {}

    /**
     * The single conv this layer equals (in eval mode): its weight, of the original shape, and the bias it adds
     * per output channel, or null when it adds none. The tensors are new (computed without autograd).
     */
    ConvWeights merge();

    /**
     * The merged layer as a standalone plain conv: computed once, same inference cost as the original. It has a bias
     * when the merge adds one (inside a model, {@code Reparameterization.fold} moves such a bias into the following
     * BatchNorm instead, to keep the original keys).
     */
    default Conv2d toPlain() {
        ConvWeights merged = merge();
        Conv2d plain = new Conv2d(spec().withBias(merged.bias() != null));
        try (NoGrad ignored = NoGrad.enter()) {
            plain.weight().copy_(merged.weight());
            if (merged.bias() != null) {
                plain.bias().copy_(merged.bias());
            }
        }
        return plain;
    }

    /** A merged conv's weight and optional per-output-channel bias. */
    record ConvWeights(Tensor weight, Tensor bias) {}
}
