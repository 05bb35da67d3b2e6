package org.refconv.reparam;

import java.util.Locale;
import java.util.Set;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.refconv.engine.Modules;
import org.refconv.engine.Tensors;

/**
 * What a re-parameterized model trains. The basis weights are frozen by construction (they are buffers); this
 * decides about everything else. Apply it before building the optimizer from {@link Modules#trainableParameters}.
 */
public enum FreezePolicy {
    /** Only the basis is frozen: BN, 1x1 convs, biases and the classifier stay trainable, as in the official code. */
    BASIS_ONLY,
    /**
     * Only the tensors the re-parameterization adds train: the refocusing weights Wr ({@code *.convmap.weight}), or a
     * Rep-Adapter's tuned branch and its BatchNorms. Running statistics are buffers, not parameters: they still
     * update in training mode unless the BN layers are put in eval mode.
     */
    ALL_BUT_REFOCUSING;

    /**
     * Sets requires_grad on every parameter of {@code model}, built by {@code factory}, according to this policy.
     * Returns how many parameter values stay trainable.
     */
    public long apply(Module model, ReparamConvFactory<?> factory) {
        Set<String> added = Reparameterization.addedKeys(factory);
        long trainable = 0;
        StringTensorDict params = model.named_parameters(true);
        for (long i = 0; i < params.size(); i++) {
            StringTensorDictItem item = params.get(i);
            boolean train = this == BASIS_ONLY || added.contains(item.key().getString());
            Tensors.requiresGrad(item.value(), train);
            if (train) {
                trainable += item.value().numel();
            }
        }
        return trainable;
    }

    public static FreezePolicy parse(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (v) {
            case "basis_only", "basis" -> BASIS_ONLY;
            case "all_but_refocusing", "refocusing_only", "wr_only", "wr" -> ALL_BUT_REFOCUSING;
            default ->
                throw new IllegalArgumentException(
                        "unknown freeze policy '" + s + "': expected basis_only (default) or all_but_refocusing");
        };
    }
}
