package org.refconv.optim;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Ops;
import org.refconv.engine.Tensors;

/**
 * SGD with momentum and weight decay, exactly torch.optim.SGD's update (dampening 0, no Nesterov):
 * d = g + wd * p; b = m * b + d (b = d on the first step); p -= lr * b.
 *
 * <p>Written in Java over tensors, rather than libtorch's optimizer, so that its state (the momentum buffers) is
 * plain named tensors that a checkpoint can save and restore.
 */
public final class Sgd {

    private final Map<String, Tensor> params;
    private final Map<String, Tensor> momentum = new LinkedHashMap<>();
    private final double momentumFactor;
    private final Map<String, Group> groups;
    private double lr;

    /**
     * A parameter's group, as torch.optim.SGD's param_groups: its learning rate is the schedule's times
     * {@code lrScale}, and its own weight decay.
     */
    public record Group(double lrScale, double weightDecay) {}

    public Sgd(Map<String, Tensor> trainable, double lr, double momentum, double weightDecay) {
        this(trainable, lr, momentum, uniform(trainable, new Group(1, weightDecay)));
    }

    /** {@code groups}: the group of every trainable parameter, by name. */
    public Sgd(Map<String, Tensor> trainable, double lr, double momentum, Map<String, Group> groups) {
        this.params = new LinkedHashMap<>(trainable);
        this.lr = lr;
        this.momentumFactor = momentum;
        for (String name : trainable.keySet()) {
            if (!groups.containsKey(name)) {
                throw new IllegalArgumentException("no parameter group for '" + name + "'");
            }
        }
        this.groups = new LinkedHashMap<>(groups);
    }

    private static Map<String, Group> uniform(Map<String, Tensor> trainable, Group group) {
        Map<String, Group> out = new LinkedHashMap<>();
        trainable.keySet().forEach(k -> out.put(k, group));
        return out;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    public double learningRate() {
        return lr;
    }

    /**
     * Applies one update from the gradients currently in .grad; parameters without a gradient are skipped.
     *
     * <p>The momentum buffer is updated in place as b = (g + m * b) + wd * p, which is torch's b = m * b + (g + wd * p)
     * up to rounding, so that no gradient-sized temporary is allocated and each element is passed over three times
     * instead of four: with RefConv's dense refocusing weights (40.6M values for MobileNetV2) the optimizer is
     * memory-bound.
     */
    public void step() {
        try (NoGrad ignored = NoGrad.enter()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor g = p.grad();
                if (!g.defined()) {
                    continue;
                }
                Group group = groups.get(e.getKey());
                double weightDecay = group.weightDecay();
                double rate = lr * group.lrScale();
                if (momentumFactor == 0) {
                    p.add_(withDecay(g, p, weightDecay), new Scalar(-rate));
                    continue;
                }
                Tensor buf = momentum.get(e.getKey());
                if (buf == null) {
                    // With weight decay the first buffer, g + wd * p, is already a new tensor: no clone needed.
                    buf = Tensors.keepAlive(weightDecay != 0 ? withDecay(g, p, weightDecay) : g.clone());
                    momentum.put(e.getKey(), buf);
                } else {
                    Ops.addScaledInto(buf, g, buf, momentumFactor);
                    if (weightDecay != 0) {
                        buf.add_(p, new Scalar(weightDecay));
                    }
                }
                p.add_(buf, new Scalar(-rate));
            }
        }
    }

    /** g + wd * p as a new tensor, or g itself without weight decay. */
    private static Tensor withDecay(Tensor g, Tensor p, double weightDecay) {
        return weightDecay != 0 ? g.add(p, new Scalar(weightDecay)) : g;
    }

    /**
     * Drops the gradients (torch's zero_grad(set_to_none=True), its default since 2.0): the next backward then
     * stores each fresh gradient instead of adding it to a zeroed one, which saves two passes over every gradient.
     */
    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensors.dropGrad(p);
        }
    }

    /** The momentum buffers by parameter name (empty before the first step): the optimizer's checkpoint state. */
    public Map<String, Tensor> state() {
        return momentum;
    }

    /** Restores momentum buffers saved from {@link #state()} (resuming a run); unknown names are refused. */
    public void restoreState(Map<String, Tensor> buffers) {
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            if (!params.containsKey(e.getKey())) {
                throw new IllegalArgumentException(
                        "optimizer state for '" + e.getKey() + "', which is not a trainable parameter of this model");
            }
            momentum.put(e.getKey(), e.getValue());
        }
    }
}
