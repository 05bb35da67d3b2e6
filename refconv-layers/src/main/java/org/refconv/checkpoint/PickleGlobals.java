package org.refconv.checkpoint;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Python globals a tensor state dict's pickle may name, and nothing else ({@link StateDictUnpickler} refuses every
 * other one before anything is constructed), with how unpickled values are described in error messages.
 */
final class PickleGlobals {

    private PickleGlobals() {}

    /** The allowed callables. */
    enum Callable {
        ORDERED_DICT("collections.OrderedDict"),
        REBUILD_TENSOR_V2("torch._utils._rebuild_tensor_v2"),
        REBUILD_PARAMETER("torch._utils._rebuild_parameter");

        private final String qualifiedName;

        Callable(String qualifiedName) {
            this.qualifiedName = qualifiedName;
        }

        @Override
        public String toString() {
            return qualifiedName;
        }
    }

    /** Storage classes only appear inside persistent ids, naming the storage's dtype. */
    record StorageType(String qualifiedName, DType dtype) {
        @Override
        public String toString() {
            return qualifiedName;
        }
    }

    static final Map<String, Object> ALLOWED = allowedGlobals();

    private static Map<String, Object> allowedGlobals() {
        Map<String, Object> globals = new HashMap<>();
        for (Callable callable : Callable.values()) {
            globals.put(callable.qualifiedName, callable);
        }
        Map<String, DType> storages = Map.of(
                "FloatStorage",
                DType.F32,
                "HalfStorage",
                DType.F16,
                "BFloat16Storage",
                DType.BF16,
                "DoubleStorage",
                DType.F64,
                "LongStorage",
                DType.I64,
                "IntStorage",
                DType.I32,
                "ShortStorage",
                DType.I16,
                "CharStorage",
                DType.I8,
                "ByteStorage",
                DType.U8,
                "BoolStorage",
                DType.BOOL);
        storages.forEach((name, dtype) -> globals.put("torch." + name, new StorageType("torch." + name, dtype)));
        return Map.copyOf(globals);
    }

    /** {@code collections.OrderedDict}; unlike a plain dict it may receive its attributes through BUILD. */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A short description of an unpickled value for messages. */
    static String describe(Object value) {
        if (value instanceof Object[] tuple) {
            StringBuilder text = new StringBuilder("(");
            for (int i = 0; i < tuple.length; i++) {
                text.append(i == 0 ? "" : ", ").append(describe(tuple[i]));
            }
            return text.append(tuple.length == 1 ? ",)" : ")").toString();
        }
        if (value instanceof String text) {
            return "'" + text + "'";
        }
        if (value instanceof Number || value instanceof Boolean || value == null) {
            return String.valueOf(value);
        }
        if (value instanceof Callable || value instanceof StorageType || value instanceof HostTensor) {
            return value.toString();
        }
        return "a " + value.getClass().getSimpleName();
    }

    /** The refusal of a global that is not on the allow-list. */
    static CheckpointFormatException refused(String pickleName, String module, String name) {
        return new CheckpointFormatException("refused global '" + module + " " + name + "' in " + pickleName
                + ": only tensor state_dicts are loaded (like torch.load(weights_only=True))"
                + (module.startsWith("__torch__")
                        ? "; this looks like a TorchScript archive: save "
                                + "model.state_dict() with torch.save instead"
                        : ""));
    }
}
