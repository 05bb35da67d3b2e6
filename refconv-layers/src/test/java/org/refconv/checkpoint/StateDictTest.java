package org.refconv.checkpoint;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StateDictTest {
    private static HostTensor scalar(float value) {
        return HostTensor.ofFloats(new long[0], new float[] {value});
    }

    @Test
    void keepsInsertionOrderAndReplacesInPlace() {
        StateDict stateDict =
                new StateDict().put("z", scalar(1)).put("a", scalar(2)).put("m", scalar(3));
        HostTensor replacement = scalar(4);
        stateDict.put("a", replacement);
        assertEquals(List.of("z", "a", "m"), stateDict.keys());
        assertEquals(
                List.of("z", "a", "m"),
                stateDict.entries().stream().map(e -> e.getKey()).toList());
        assertSame(replacement, stateDict.get("a"));
        assertEquals(3, stateDict.size());
        assertTrue(stateDict.contains("m"));
        assertFalse(stateDict.contains("b"));
    }

    @Test
    void missingKeyIsNamed() {
        StateDict stateDict = new StateDict().put("conv1.weight", scalar(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stateDict.get("fc.bias"));
        assertEquals("no tensor named 'fc.bias' in this state dict (1 tensors)", e.getMessage());
    }

    @Test
    void entriesAreReadOnly() {
        StateDict stateDict = new StateDict().put("a", scalar(1));
        assertThrows(
                UnsupportedOperationException.class, () -> stateDict.entries().clear());
        assertThrows(UnsupportedOperationException.class, () -> stateDict.keys().clear());
    }

    @Test
    void equalityIncludesOrderAndMetadata() {
        StateDict ab = new StateDict().put("a", scalar(1)).put("b", scalar(2));
        StateDict ba = new StateDict().put("b", scalar(2)).put("a", scalar(1));
        assertEquals(ab, new StateDict().put("a", scalar(1)).put("b", scalar(2)));
        assertNotEquals(ab, ba);
        StateDict withMetadata = new StateDict().put("a", scalar(1)).put("b", scalar(2));
        withMetadata.metadata().put("format", "pt");
        assertNotEquals(ab, withMetadata);
    }
}
