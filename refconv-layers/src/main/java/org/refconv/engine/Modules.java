package org.refconv.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringSharedModuleDict;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.StringTensorDictItem;
import org.bytedeco.pytorch.Tensor;
import org.refconv.checkpoint.StateDict;

/** State dicts of module trees with PyTorch's naming and order, and loading them back. */
public final class Modules {

    private Modules() {}

    /**
     * Registers a trainable parameter and returns a handle that owns a reference to it. The reference libtorch
     * returns points into the module's parameter table and dangles once another parameter is registered.
     */
    public static Tensor registerParameter(Module owner, String name, Tensor value) {
        return new Tensor(owner.register_parameter(name, value));
    }

    /** Registers a buffer (state that is saved but not trained, e.g. a frozen basis); see {@link #registerParameter}. */
    public static Tensor registerBuffer(Module owner, String name, Tensor value) {
        return new Tensor(owner.register_buffer(name, value));
    }

    /**
     * Parameters and buffers by dotted name in PyTorch's state_dict order: per module (pre-order), its own
     * parameters, then its own buffers.
     */
    public static Map<String, Tensor> stateDict(Module root) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        StringSharedModuleDict modules = root.named_modules();
        for (long i = 0; i < modules.size(); i++) {
            var item = modules.get(i);
            String prefix = string(item.key());
            Module m = item.value();
            addAll(out, prefix, m.named_parameters(false));
            addAll(out, prefix, m.named_buffers(false));
        }
        return out;
    }

    /** Only the tensors that receive gradients, by name, in state_dict order. */
    public static Map<String, Tensor> trainableParameters(Module root) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        addAll(out, "", root.named_parameters(true));
        out.values().removeIf(t -> !t.requires_grad());
        return out;
    }

    public static long count(Iterable<Tensor> tensors) {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.numel();
        }
        return n;
    }

    /** Moves every parameter and buffer of the module to {@code device}. */
    public static void moveTo(Module root, Device device) {
        if (device.isCuda()) {
            Engine.requireAvailable(device);
        }
        root.to(Tensors.torchDevice(device), false);
    }

    /** A copy of the module's state in Java memory, for writing a checkpoint. */
    public static StateDict toStateDict(Module root) {
        StateDict sd = new StateDict();
        stateDict(root).forEach((k, v) -> sd.put(k, Tensors.toHost(v)));
        return sd;
    }

    /** Which keys of a checkpoint are missing, unexpected or of another shape than the module's. */
    public static LoadReport compare(Module root, StateDict source) {
        return compare(stateDict(root), source);
    }

    private static LoadReport compare(Map<String, Tensor> target, StateDict source) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : target.entrySet()) {
            if (!source.contains(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            long[] want = Tensors.shape(e.getValue());
            long[] have = source.get(e.getKey()).shape();
            if (!Arrays.equals(want, have)) {
                mismatched.add(
                        e.getKey() + ": checkpoint " + Arrays.toString(have) + " vs model " + Arrays.toString(want));
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : source.keys()) {
            if (!target.containsKey(k)) {
                unexpected.add(k);
            }
        }
        return new LoadReport(missing, unexpected, mismatched);
    }

    /**
     * Copies a checkpoint into the module's tensors. Strict: every key must match in name and shape, and the
     * error lists all missing, unexpected and mismatched keys. Non-strict: matching keys are copied, and the
     * returned report says what was skipped (e.g. a new classifier head).
     */
    public static LoadReport load(Module root, StateDict source, boolean strict) {
        Map<String, Tensor> target = stateDict(root);
        LoadReport report = compare(target, source);
        if (strict && !report.isClean()) {
            throw new IllegalArgumentException("state_dict does not match the model: " + report);
        }
        try (NoGrad ignored = NoGrad.enter()) {
            for (Map.Entry<String, Tensor> e : target.entrySet()) {
                String k = e.getKey();
                if (source.contains(k) && !report.mismatchedKeyNames().contains(k)) {
                    Tensor dst = e.getValue();
                    dst.copy_(Tensors.fromHost(source.get(k)));
                }
            }
        }
        return report;
    }

    /** What a load could not match. */
    public record LoadReport(List<String> missing, List<String> unexpected, List<String> mismatched) {

        public boolean isClean() {
            return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
        }

        List<String> mismatchedKeyNames() {
            return mismatched.stream().map(s -> s.substring(0, s.indexOf(':'))).toList();
        }

        @Override
        public String toString() {
            return "missing keys " + missing + "; unexpected keys " + unexpected + "; shape mismatches " + mismatched;
        }
    }

    private static void addAll(Map<String, Tensor> out, String prefix, StringTensorDict dict) {
        for (long i = 0; i < dict.size(); i++) {
            StringTensorDictItem item = dict.get(i);
            String name = string(item.key());
            // Own a reference: item.value() points into the dict, which is freed with it.
            out.put(prefix.isEmpty() ? name : prefix + "." + name, new Tensor(item.value()));
        }
    }

    /** JavaCPP gives a null pointer for an empty std::string (the root module's name). */
    private static String string(BytePointer p) {
        return p == null || p.isNull() ? "" : p.getString();
    }
}
