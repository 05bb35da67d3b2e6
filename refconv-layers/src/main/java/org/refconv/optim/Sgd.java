package org.refconv.optim;

import java.util.LinkedHashMap;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.refconv.engine.NoGrad;
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
    private final double weightDecay;
    private double lr;

    public Sgd(Map<String, Tensor> trainable, double lr, double momentum, double weightDecay) {
        this.params = new LinkedHashMap<>(trainable);
        this.lr = lr;
        this.momentumFactor = momentum;
        this.weightDecay = weightDecay;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    public double learningRate() {
        return lr;
    }

    /** Applies one update from the gradients currently in .grad; parameters without a gradient are skipped. */
    public void step() {
        try (NoGrad ignored = NoGrad.enter()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor g = p.grad();
                if (!g.defined()) {
                    continue;
                }
                Tensor d = weightDecay != 0 ? g.add(p, new Scalar(weightDecay)) : g;
                if (momentumFactor != 0) {
                    Tensor buf = momentum.get(e.getKey());
                    if (buf == null) {
                        buf = Tensors.keepAlive(d.clone());
                        momentum.put(e.getKey(), buf);
                    } else {
                        buf.mul_(new Scalar(momentumFactor)).add_(d);
                    }
                    d = buf;
                }
                p.add_(d, new Scalar(-lr));
            }
        }
    }

    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.zero_();
            }
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
                throw new IllegalArgumentException("optimizer state for '" + e.getKey()
                        + "', which is not a trainable parameter of this model");
            }
            momentum.put(e.getKey(), e.getValue());
        }
    }
}
