package org.refconv.publish;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.refconv.checkpoint.HostTensor;
import org.refconv.checkpoint.StateDict;

/**
 * Check (a) of publishing: the model to publish has exactly the reference's keys (the basis checkpoint a refocus run
 * started from, so that a PyTorch user's {@code load_state_dict} takes it unchanged) with the same shapes.
 */
public final class KeyCheck {

    private KeyCheck() {}

    /** The differences, empty when the key sets and every shape agree. */
    public static List<String> differences(StateDict published, StateDict reference) {
        return differences(published, reference, Set.of());
    }

    /** As above, where the keys of a new classifier head ({@code newKeys}) may differ in shape or be absent. */
    public static List<String> differences(StateDict published, StateDict reference, Set<String> newKeys) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : reference.entries()) {
            if (newKeys.contains(e.getKey())) {
                continue;
            }
            if (!published.contains(e.getKey())) {
                out.add("missing " + e.getKey());
            } else if (!Arrays.equals(
                    e.getValue().shape(), published.get(e.getKey()).shape())) {
                out.add(e.getKey() + ": shape "
                        + Arrays.toString(published.get(e.getKey()).shape()) + " vs reference "
                        + Arrays.toString(e.getValue().shape()));
            }
        }
        for (String k : published.keys()) {
            if (!reference.contains(k) && !newKeys.contains(k)) {
                out.add("unexpected " + k);
            }
        }
        return out;
    }
}
