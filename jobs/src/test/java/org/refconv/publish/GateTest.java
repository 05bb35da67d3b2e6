package org.refconv.publish;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GateTest {

    private static final Optional<Gate.Current> LATEST = Optional.of(new Gate.Current("v1", 0.80));

    @Test
    void theFirstVersionIsPromoted() {
        assertTrue(Gate.decide("gate", 0.005, 0.10, Optional.empty()).promote());
    }

    @Test
    void aVersionWithinTheToleranceIsPromotedAndOneBelowItIsNot() {
        assertTrue(Gate.decide("gate", 0.005, 0.796, LATEST).promote());
        assertTrue(Gate.decide("gate", 0.0, 0.81, LATEST).promote());
        Gate.Decision d = Gate.decide("gate", 0.005, 0.794, LATEST);
        assertFalse(d.promote());
        assertTrue(d.reason().contains("79.40%") && d.reason().contains("v1 80.00%"), d.reason());
    }

    @Test
    void policiesAlwaysAndNeverIgnoreTheMetrics() {
        assertTrue(Gate.decide("always", 0, 0.0, LATEST).promote());
        assertFalse(Gate.decide("never", 0, 1.0, Optional.empty()).promote());
        assertFalse(Gate.decide("gate", 0.5, Double.NaN, LATEST).promote());
    }
}
