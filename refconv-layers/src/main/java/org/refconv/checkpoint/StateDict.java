package org.refconv.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Named tensors in insertion order, like PyTorch's {@code state_dict()} (whose order is the module tree's, and
 * which loaders rely on), plus string metadata (safetensors' {@code __metadata__}).
 */
public final class StateDict {
    private final LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor at the end, or replaces the tensor of an existing name in place (keeping its position). */
    public StateDict put(String name, HostTensor tensor) {
        tensors.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(tensor, "tensor"));
        return this;
    }

    /** @throws IllegalArgumentException naming the missing key */
    public HostTensor get(String name) {
        HostTensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException(
                    "no tensor named '" + name + "' in this state dict (" + tensors.size() + " tensors)");
        }
        return tensor;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public int size() {
        return tensors.size();
    }

    /** The names, in order. */
    public List<String> keys() {
        return List.copyOf(tensors.keySet());
    }

    /** Read-only view of the entries, in order. */
    public Set<Map.Entry<String, HostTensor>> entries() {
        return Collections.unmodifiableMap(tensors).entrySet();
    }

    /** The metadata, modifiable and insertion-ordered. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Equal when the same names map to equal tensors in the same order, with equal metadata. */
    @Override
    public boolean equals(Object other) {
        return other instanceof StateDict that
                && tensors.equals(that.tensors)
                && keys().equals(that.keys())
                && metadata.equals(that.metadata);
    }

    @Override
    public int hashCode() {
        return 31 * tensors.hashCode() + metadata.hashCode();
    }

    @Override
    public String toString() {
        return "StateDict(" + tensors.size() + " tensors)" + tensors;
    }
}
