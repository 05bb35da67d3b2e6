package org.refconv.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.StateDict;
import org.refconv.engine.Tensors;

/**
 * Whether a run keeps the checkpoint's classifier head or starts a new one ({@code head = auto | new | keep}). The head
 * is the model's last fully connected layer (torchvision's {@code fc}, {@code classifier.1} / {@code classifier.3},
 * cifar_quick's {@code fc2}); a new one keeps the init the model's constructor gave it, which for torchvision's
 * models is torchvision's own init of that classifier (nn.Linear's default for ResNet and ShuffleNet, normal(0, 0.01)
 * and zero bias for the MobileNets).
 *
 * @param layer the head's module name, e.g. {@code fc}
 * @param keys the head's state_dict keys
 * @param isNew whether the head starts from its init instead of the checkpoint
 * @param reason why, for the log and the model card
 */
public record HeadChoice(String layer, List<String> keys, boolean isNew, String reason) {

    /** Decides for a model whose state is {@code model}; {@code checkpoint} is null when the run has none. */
    public static HeadChoice decide(String head, Map<String, Tensor> model, StateDict checkpoint) {
        String layer = headLayer(model);
        List<String> keys = new ArrayList<>();
        for (String k : model.keySet()) {
            if (k.startsWith(layer + ".")) {
                keys.add(k);
            }
        }
        if (checkpoint == null) {
            return new HeadChoice(layer, keys, false, "no checkpoint: the whole model starts from its init");
        }
        List<String> differences = new ArrayList<>();
        for (String k : keys) {
            long[] want = Tensors.shape(model.get(k));
            if (!checkpoint.contains(k)) {
                differences.add(k + " missing from the checkpoint");
            } else if (!Arrays.equals(want, checkpoint.get(k).shape())) {
                differences.add(k + " " + Arrays.toString(checkpoint.get(k).shape()) + " in the checkpoint vs "
                        + Arrays.toString(want) + " for this run");
            }
        }
        return switch (head) {
            case "keep" -> new HeadChoice(layer, keys, false, "the checkpoint's (head = keep)");
            case "new" -> new HeadChoice(layer, keys, true, "head = new");
            case "auto" ->
                differences.isEmpty()
                        ? new HeadChoice(layer, keys, false, "the checkpoint's (same shapes)")
                        : new HeadChoice(
                                layer,
                                keys,
                                true,
                                "the checkpoint's head does not fit: " + String.join("; ", differences));
            default -> throw new IllegalArgumentException("head must be auto, new or keep, not " + head);
        };
    }

    /** The run's choice for its model and checkpoint. */
    public static HeadChoice decide(TrainConfig c, Map<String, Tensor> model, StateDict checkpoint) {
        return decide(c.get(TrainKeys.HEAD), model, checkpoint);
    }

    /**
     * The classifier head's module name: the owner of the last 2-D parameter in state_dict order. Every zoo model
     * registers its classifier last, and its other weights are convolutions (4-D).
     */
    static String headLayer(Map<String, Tensor> model) {
        String layer = null;
        for (Map.Entry<String, Tensor> e : model.entrySet()) {
            if (e.getKey().endsWith(".weight") && e.getValue().dim() == 2) {
                layer = e.getKey().substring(0, e.getKey().length() - ".weight".length());
            }
        }
        if (layer == null) {
            throw new IllegalArgumentException("the model has no fully connected layer to use as its head");
        }
        return layer;
    }

    /** The checkpoint without the head's tensors when the head is new (they would not be loaded), else itself. */
    public StateDict basis(StateDict checkpoint) {
        if (!isNew) {
            return checkpoint;
        }
        StateDict out = new StateDict();
        checkpoint.entries().stream()
                .filter(e -> !keys.contains(e.getKey()))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        out.metadata().putAll(checkpoint.metadata());
        return out;
    }

    /** One line for the log. */
    public String describe() {
        return "classifier head " + layer + ": " + (isNew ? "new (" + reason + ")" : reason);
    }
}
