package org.refconv.optim;

/**
 * The paper's learning-rate schedule: linear warmup from 0 to the base rate, then cosine decay to 0.
 * Steps are counted from 0; the rate at step {@code s} is used for the update that step makes.
 */
public record WarmupCosine(double baseLr, long warmupSteps, long totalSteps) {

    public WarmupCosine {
        if (baseLr <= 0 || warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException(
                    "bad schedule: base lr " + baseLr + ", warmup " + warmupSteps + " of " + totalSteps + " steps");
        }
    }

    public double lr(long step) {
        if (step < warmupSteps) {
            return baseLr * (step + 1) / warmupSteps;
        }
        long decaySteps = totalSteps - warmupSteps;
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        return 0.5 * baseLr * (1 + Math.cos(Math.PI * progress));
    }
}
