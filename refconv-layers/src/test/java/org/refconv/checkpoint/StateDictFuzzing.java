package org.refconv.checkpoint;

import java.util.Map;

/** What an accepted checkpoint must be, whatever the input: names to tensors whose bytes match their shape. */
final class StateDictFuzzing {
    private StateDictFuzzing() {}

    static void checkTensors(StateDict stateDict) {
        for (Map.Entry<String, HostTensor> entry : stateDict.entries()) {
            HostTensor tensor = entry.getValue();
            long bytes = HostTensor.numel(tensor.shape()) * tensor.dtype().byteSize();
            if (entry.getKey() == null || tensor.data().remaining() != bytes) {
                throw new AssertionError("inconsistent tensor '" + entry.getKey() + "'");
            }
        }
    }
}
