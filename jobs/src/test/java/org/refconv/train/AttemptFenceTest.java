package org.refconv.train;

import java.nio.file.Path;

import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A rank of an older attempt that wakes up never writes into the run folder; a stop request names its attempt. */
class AttemptFenceTest {

    private static final Configuration CONF = new Configuration();

    @Test
    void aRankOfAnOlderAttemptIsRefused(@TempDir Path dir) throws Exception {
        RunLayout layout = RunLayout.of(dir.toUri().toString());
        AttemptFence first = new AttemptFence(layout, CONF, "1.0");
        assertDoesNotThrow(() -> first.check("checkpoint 2"), "no attempt recorded yet (a run without a driver)");
        AttemptFence.record(layout, CONF, "1.0");
        assertDoesNotThrow(() -> first.check("checkpoint 2"));
        AttemptFence.record(layout, CONF, "2.0");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> first.check("the model"));
        assertTrue(e.getMessage().contains("1.0") && e.getMessage().contains("2.0"), e.getMessage());
        assertDoesNotThrow(() -> new AttemptFence(layout, CONF, "2.0").check("the model"));
    }

    @Test
    void aStopRequestIsForOneAttemptAndANewAttemptWithdrawsIt(@TempDir Path dir) throws Exception {
        RunLayout layout = RunLayout.of(dir.toUri().toString());
        AttemptFence.record(layout, CONF, "3.0");
        AttemptFence three = new AttemptFence(layout, CONF, "3.0");
        assertFalse(three.stopRequested());
        AttemptFence.requestStop(layout, CONF, "3.0");
        assertTrue(three.stopRequested());
        assertFalse(new AttemptFence(layout, CONF, "2.0").stopRequested());
        AttemptFence.record(layout, CONF, "4.0");
        assertFalse(new AttemptFence(layout, CONF, "4.0").stopRequested());
    }
}
