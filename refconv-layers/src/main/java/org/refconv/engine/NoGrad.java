package org.refconv.engine;

import org.bytedeco.pytorch.GradMode;

/** A scope in which autograd records nothing (like {@code with torch.no_grad():}); restores the previous mode. */
public final class NoGrad implements AutoCloseable {

    private final boolean previous;

    private NoGrad() {
        previous = GradMode.is_enabled();
        GradMode.set_enabled(false);
    }

    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        GradMode.set_enabled(previous);
    }
}
