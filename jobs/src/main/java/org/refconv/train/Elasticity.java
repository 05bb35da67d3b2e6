package org.refconv.train;

import java.io.Serializable;
import java.time.Duration;

import org.refconv.config.ConfigException;

/**
 * How a run may change its number of executors and when it gives up on one ({@link TrainKeys#MIN_RANKS},
 * {@link TrainKeys#RESIZE_GRACE}, {@link TrainKeys#PEER_TIMEOUT}): {@code ranks} stays the run's logical size, an
 * attempt runs on between {@code minRanks} and {@code ranks} executors.
 */
public record Elasticity(int ranks, int minRanks, Duration resizeGrace, Duration peerTimeout) implements Serializable {

    public static Elasticity of(TrainConfig config) {
        int min = config.get(TrainKeys.MIN_RANKS);
        if (min > config.ranks()) {
            throw new ConfigException(
                    config.origin(TrainKeys.MIN_RANKS) + ": minRanks " + min + " exceeds ranks " + config.ranks());
        }
        return new Elasticity(
                config.ranks(),
                min == 0 ? config.ranks() : min,
                Duration.ofSeconds(config.get(TrainKeys.RESIZE_GRACE)),
                Duration.ofSeconds(config.get(TrainKeys.PEER_TIMEOUT)));
    }

    /** Whether the run may go on with fewer executors than ranks. */
    public boolean resizable() {
        return minRanks < ranks;
    }
}
