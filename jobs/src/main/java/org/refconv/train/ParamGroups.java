package org.refconv.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.refconv.optim.Sgd;

/**
 * The optimizer's parameter groups of a run: the classifier head's learning rate is the schedule's times
 * {@code headLrScale}, every other parameter's times {@code backboneLrScale}; with {@code noDecayNormBias} the 1-D
 * parameters (BatchNorm weights and biases, every bias) get no weight decay, as torchvision's reference script's
 * {@code --norm-weight-decay 0 --bias-weight-decay 0}. Checkpoints record {@link #describe()}, and a run resumes only
 * with the same groups.
 */
final class ParamGroups {

    /** The checkpoint metadata key that holds {@link #describe()}. */
    static final String METADATA_KEY = "paramGroups";

    private final Map<String, Sgd.Group> groups;
    private final String description;

    private ParamGroups(Map<String, Sgd.Group> groups, String description) {
        this.groups = groups;
        this.description = description;
    }

    static ParamGroups of(TrainConfig c, Map<String, Tensor> trainable, HeadChoice head) {
        double headScale = c.get(TrainKeys.HEAD_LR_SCALE);
        double backboneScale = c.get(TrainKeys.BACKBONE_LR_SCALE);
        boolean noDecay = c.get(TrainKeys.NO_DECAY_NORM_BIAS);
        Map<String, Sgd.Group> groups = new LinkedHashMap<>();
        int headCount = 0;
        int undecayed = 0;
        for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
            boolean inHead = head.keys().contains(e.getKey());
            boolean decayFree = noDecay && e.getValue().dim() == 1;
            headCount += inHead ? 1 : 0;
            undecayed += decayFree ? 1 : 0;
            groups.put(e.getKey(), new Sgd.Group(inHead ? headScale : backboneScale, decayFree ? 0 : c.weightDecay()));
        }
        String description = String.format(
                Locale.ROOT,
                "head %s (%d tensors) lr x%s; backbone (%d tensors) lr x%s; weight decay %s, none on %d 1-D tensors",
                head.layer(),
                headCount,
                headScale,
                trainable.size() - headCount,
                backboneScale,
                c.weightDecay(),
                undecayed);
        return new ParamGroups(groups, description);
    }

    Map<String, Sgd.Group> groups() {
        return groups;
    }

    /** Which tensors are in which group, with their multipliers and decay: what a checkpoint records. */
    String describe() {
        return description;
    }
}
