package org.refconv.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * torch.nn.Sequential's naming: children are registered under their position ("0", "1", ...), and parameter-free
 * steps (activations, dropout) take a position too, so that the state_dict keys of the children equal torchvision's
 * (e.g. {@code branch2.3.weight} after conv, BN and ReLU at 0-2). libtorch's SequentialImpl cannot run Java modules,
 * so the steps are Java functions; each one holds its module, which keeps the Java object alive as the parent
 * only holds a pointer.
 */
public class Sequential extends Module {

    private final String prefix;
    private final List<UnaryOperator<Tensor>> steps = new ArrayList<>();

    /** @param prefix this container's own state_dict prefix (e.g. "features.3.conv") */
    public Sequential(String prefix) {
        this.prefix = prefix;
    }

    /** The full state_dict prefix of the next child: the name to give a conv before {@link #add(ConvLayer) adding} it. */
    public String next() {
        return prefix + "." + steps.size();
    }

    public String prefix() {
        return prefix;
    }

    public Sequential add(ConvLayer conv) {
        if (!conv.spec().name().equals(next())) {
            throw new IllegalArgumentException("conv '" + conv.spec().name() + "' added at position " + next()
                    + ": create it with the name next() gives, or its state_dict key and refocusing name differ");
        }
        return addModule(conv.module(), conv::forward);
    }

    public Sequential add(BatchNorm2d bn) {
        return addModule(bn, bn::forward);
    }

    public Sequential add(Linear linear) {
        return addModule(linear, linear::forward);
    }

    public Sequential add(Sequential child) {
        if (!child.prefix().equals(next())) {
            throw new IllegalArgumentException("container '" + child.prefix() + "' added at position " + next());
        }
        return addModule(child, child::forward);
    }

    /** A step without parameters or buffers (an activation, dropout): it takes a position but registers nothing. */
    public Sequential add(UnaryOperator<Tensor> op) {
        steps.add(op);
        return this;
    }

    /** A child module of another kind with its forward function (e.g. a block of a stage). */
    public Sequential addModule(Module child, UnaryOperator<Tensor> forward) {
        register_module(String.valueOf(steps.size()), child);
        steps.add(forward);
        return this;
    }

    public int size() {
        return steps.size();
    }

    public Tensor forward(Tensor x) {
        for (UnaryOperator<Tensor> step : steps) {
            x = step.apply(x);
        }
        return x;
    }
}
