package org.refconv.optim;

import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.refconv.dist.Collectives;
import org.refconv.engine.NoGrad;
import org.refconv.engine.Precision;

/**
 * Dynamic loss scaling for fp16 training, as {@code torch.cuda.amp.GradScaler} (whose fused ops the JavaCPP presets do
 * not map): the loss is multiplied by a scale before backward so that small gradients survive fp16's range; the fp32
 * gradients are then divided by it and checked for inf/NaN. A step with a non-finite gradient on any rank is skipped
 * by every rank (the flag is all-reduced) and halves the scale; {@code growthInterval} finite steps in a row double
 * it. For bf16 and fp32 the scaler is {@link #disabled()}: the same calls cost nothing and never skip, so a training
 * loop has one sequence for every precision:
 *
 * <pre>{@code
 * try (Autocast ignored = Autocast.enter(precision, device)) { logits = model.forward(x); }
 * Tensor loss = Ops.crossEntropy(Autocast.toFloat(logits), y);   // fp32 loss
 * scaler.scale(loss).backward();
 * boolean skip = scaler.unscaleAndCheck(grads, collectives);     // one 1-element all-reduce when enabled
 * if (!skip) { averager.average(); deferred.apply(); sgd.step(); } // every rank decides alike
 * scaler.update(skip);
 * }</pre>
 *
 * The check may also follow the gradient all-reduce (a non-finite value on one rank makes the sum non-finite on all),
 * but before it a skipped step also skips the all-reduce. Gradients are unscaled in place; the fused RefConv layers'
 * dWt may be unscaled before or after it becomes dWr (the map is linear).
 */
public final class LossScaler {

    /** torch.cuda.amp.GradScaler's defaults. */
    public static final double INIT_SCALE = 65536.0;

    public static final double GROWTH_FACTOR = 2.0;
    public static final double BACKOFF_FACTOR = 0.5;
    public static final int GROWTH_INTERVAL = 2000;

    /** Checkpoint metadata keys of an enabled scaler's state (a bf16 or fp32 run writes neither). */
    public static final String SCALE_KEY = "lossScale";

    public static final String GOOD_STEPS_KEY = "lossScaleGoodSteps";

    private final boolean enabled;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private double scale;
    private int goodSteps;
    private long skippedSteps;

    /** An enabled scaler. */
    public LossScaler(double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        this(true, initScale, growthFactor, backoffFactor, growthInterval);
    }

    private LossScaler(
            boolean enabled, double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initScale > 0)
                || !(growthFactor > 1)
                || !(backoffFactor > 0 && backoffFactor < 1)
                || growthInterval < 1) {
            throw new IllegalArgumentException("loss scaler: need initScale > 0, growthFactor > 1, backoffFactor in "
                    + "(0, 1) and growthInterval >= 1; got " + initScale + ", " + growthFactor + ", " + backoffFactor
                    + ", " + growthInterval);
        }
        this.enabled = enabled;
        this.scale = initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** The scaler a resolved precision needs: GradScaler's defaults for fp16, {@link #disabled()} otherwise. */
    public static LossScaler forPrecision(Precision precision) {
        if (precision == Precision.AUTO) {
            throw new IllegalArgumentException("resolve precision auto first (Precision.resolve)");
        }
        return precision.needsLossScaling()
                ? new LossScaler(INIT_SCALE, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL)
                : disabled();
    }

    /** Scale 1, never skips, no collective. */
    public static LossScaler disabled() {
        return new LossScaler(false, 1.0, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL);
    }

    /** The fp32 loss times the scale (the loss itself when disabled): call backward on this. */
    public Tensor scale(Tensor loss) {
        return enabled ? loss.mul(new Scalar(scale)) : loss;
    }

    /**
     * Divides every defined gradient by the scale, in place, and reports whether any rank found an inf or NaN in
     * its gradients: true means skip this step (every rank gets the same answer). {@code group} may be null for a
     * single process. Disabled: false at once, gradients untouched, no collective.
     */
    public boolean unscaleAndCheck(List<Tensor> grads, Collectives group) {
        if (!enabled) {
            return false;
        }
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor flag = null;
            Scalar inverse = new Scalar(1.0 / scale);
            for (Tensor g : grads) {
                if (g == null || !g.defined()) {
                    continue;
                }
                g.mul_(inverse);
                // Count of non-finite values, kept on the gradients' device until the one read below.
                Tensor bad = torch.isfinite(g).logical_not().sum().to(torch.ScalarType.Float);
                flag = flag == null ? bad : flag.add_(bad);
            }
            if (flag == null) {
                throw new IllegalArgumentException("loss scaler: no gradient to unscale (was backward run?)");
            }
            Tensor shared = flag.reshape(1);
            if (group != null && group.worldSize() > 1) {
                group.allReduceSum(List.of(shared));
            }
            return shared.item_double() > 0;
        }
    }

    /** After the (possibly skipped) step: halve the scale on an inf/NaN, double it after growthInterval good steps. */
    public void update(boolean foundNonFinite) {
        if (!enabled) {
            return;
        }
        if (foundNonFinite) {
            scale *= backoffFactor;
            goodSteps = 0;
            skippedSteps++;
        } else if (++goodSteps == growthInterval) {
            scale *= growthFactor;
            goodSteps = 0;
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** The current scale (1 when disabled). */
    public double scale() {
        return scale;
    }

    /** Finite steps since the last change of scale. */
    public int goodSteps() {
        return goodSteps;
    }

    /** Steps skipped so far, for a log line. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * What a checkpoint keeps of this scaler: its scale and growth count, exactly (as Java's shortest round-tripping
     * decimal); empty when disabled, so that a run resumed in fp16 from a bf16 or fp32 checkpoint starts from
     * GradScaler's initial scale.
     */
    public Map<String, String> checkpointMetadata() {
        return enabled
                ? Map.of(SCALE_KEY, Double.toString(scale), GOOD_STEPS_KEY, Integer.toString(goodSteps))
                : Map.of();
    }

    /**
     * Restores the state {@link #checkpointMetadata()} wrote, if the metadata holds one; a disabled scaler (the run
     * resumes in bf16 or fp32) ignores it.
     */
    public void restoreFrom(Map<String, String> metadata) {
        String savedScale = metadata.get(SCALE_KEY);
        String savedGoodSteps = metadata.get(GOOD_STEPS_KEY);
        if (savedScale == null && savedGoodSteps == null) {
            return;
        }
        if (savedScale == null || savedGoodSteps == null) {
            throw new IllegalArgumentException("loss scaler: a checkpoint has only one of " + SCALE_KEY + " and "
                    + GOOD_STEPS_KEY + ": " + metadata);
        }
        try {
            restore(Double.parseDouble(savedScale), Integer.parseInt(savedGoodSteps));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "loss scaler: unreadable state in a checkpoint: " + SCALE_KEY + "=" + savedScale + ", "
                            + GOOD_STEPS_KEY + "=" + savedGoodSteps,
                    e);
        }
    }

    /** Restores what a checkpoint saved ({@link #scale()} and {@link #goodSteps()}): a resumed run keeps its scale. */
    public void restore(double savedScale, int savedGoodSteps) {
        if (!(savedScale > 0) || savedGoodSteps < 0 || savedGoodSteps >= growthInterval) {
            throw new IllegalArgumentException("loss scaler: cannot restore scale " + savedScale + " with "
                    + savedGoodSteps + " good steps (interval " + growthInterval + ")");
        }
        if (enabled) {
            scale = savedScale;
            goodSteps = savedGoodSteps;
        }
    }
}
