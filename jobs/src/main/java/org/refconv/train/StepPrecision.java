package org.refconv.train;

import java.util.List;
import java.util.function.Supplier;

import org.bytedeco.pytorch.Tensor;
import org.refconv.dist.Collectives;
import org.refconv.engine.Autocast;
import org.refconv.engine.Device;
import org.refconv.engine.Precision;
import org.refconv.optim.LossScaler;

/**
 * The arithmetic of a training step: the forward pass under libtorch's autocast in the rank's resolved precision
 * (bf16 or fp16; fp32 runs it as is), the loss in fp32, and for fp16 dynamic loss scaling whose inf/NaN check is
 * all-reduced, so that every rank skips the same steps. Weights, gradients and optimizer state stay fp32.
 */
record StepPrecision(Precision precision, Device device, LossScaler scaler, Collectives group) {

    /** Plain fp32 on the CPU: what tests of the step itself use. */
    static StepPrecision fp32() {
        return new StepPrecision(Precision.FP32, Device.CPU, LossScaler.disabled(), null);
    }

    /** {@code scaler}: the rank's, kept in its state so that checkpoints save it ({@link RankState#lossScaler}). */
    static StepPrecision of(Precision.Resolved resolved, LossScaler scaler, Collectives group) {
        if (scaler.enabled() != resolved.effective().needsLossScaling()) {
            throw new IllegalArgumentException("a loss scaler " + (scaler.enabled() ? "enabled" : "disabled")
                    + " for precision " + resolved.effective().configName());
        }
        return new StepPrecision(resolved.effective(), resolved.device(), scaler, group);
    }

    /** Enters autocast for the forward pass (a scope that changes nothing in fp32). */
    Autocast forward() {
        return Autocast.enter(precision, device);
    }

    /**
     * After backward and the gradient average: unscales the gradients and tells whether this step must be skipped
     * (an inf or NaN on any rank); updates the scale either way.
     */
    boolean skipStep(Supplier<List<Tensor>> gradients) {
        if (!scaler.enabled()) {
            return false;
        }
        boolean skip = scaler.unscaleAndCheck(gradients.get(), group);
        scaler.update(skip);
        return skip;
    }
}
