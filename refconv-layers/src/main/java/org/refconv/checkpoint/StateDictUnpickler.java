package org.refconv.checkpoint;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Unpickles the {@code data.pkl} of a {@code torch.save}d state dict, accepting only the few Python globals a
 * tensor state dict needs: the Java analogue of {@code torch.load(weights_only=True)}.
 *
 * <p>Pyrolite executes no Python, but it turns globals into Java constructors (its defaults include bytearray,
 * datetime, decimal, copy_reg._reconstructor...) and calls {@code __setstate__} by reflection on BUILD. So every
 * opcode that names a global or calls one (GLOBAL, STACK_GLOBAL, INST, OBJ, REDUCE, NEWOBJ, NEWOBJ_EX, BUILD,
 * PERSID, BINPERSID) is handled here, and anything not on the allow-list is refused before it is constructed.
 * Dicts are kept in insertion order (Pyrolite builds HashMaps, and its SETITEMS reorders).
 */
final class StateDictUnpickler extends Unpickler {

    /** Returns the raw bytes of the checkpoint's {@code data/<key>} entry. */
    @FunctionalInterface
    interface StorageReader {
        byte[] read(String key) throws IOException;
    }

    private final String pickleName;
    private final StorageReader storageReader;
    private final Map<String, byte[]> storageBytes = new HashMap<>();
    /** Bytes of the distinct storages read so far, and of the tensors copied out of them. */
    private long storedBytes;

    private long tensorBytes;

    /**
     * Tensors may hold at most this many times the bytes of the storages they view. A state dict's tensors cover
     * each storage once, tied weights (an embedding shared with the classifier) twice; a pickle that views one
     * storage thousands of times, or expands it with zero strides, would otherwise turn a small file into
     * gigabytes of copies.
     */
    static final long MAX_TENSOR_BYTES_PER_STORAGE_BYTE = 4;

    /** {@code pickleName} names the pickle in error messages, e.g. {@code model.pth/archive/data.pkl}. */
    StateDictUnpickler(String pickleName, StorageReader storageReader) {
        this.pickleName = pickleName;
        this.storageReader = storageReader;
    }

    /** The unpickled object: maps are insertion-ordered, tensors are {@link HostTensor}s. */
    Object unpickle(byte[] pickle) throws IOException {
        try {
            return loads(pickle);
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) { // Pyrolite's PickleException, casts on malformed input, ...
            throw new CheckpointFormatException(pickleName + ": malformed pickle (" + e + ")", e);
        } finally {
            close();
        }
    }

    @Override
    protected Object dispatch(short opcode) throws IOException {
        switch (opcode) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolveGlobal(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                stack.add(resolveGlobal(String.valueOf(module), String.valueOf(name)));
            }
            case Opcodes.INST ->
                throw PickleGlobals.refused(pickleName, PickleUtils.readline(input), PickleUtils.readline(input));
            case Opcodes.REDUCE, Opcodes.NEWOBJ -> {
                Object arguments = stack.pop();
                Object callable = stack.pop();
                stack.add(call(callable, arguments));
            }
            case Opcodes.OBJ, Opcodes.NEWOBJ_EX, Opcodes.PERSID ->
                throw new CheckpointFormatException(pickleName + ": pickle opcode " + String.format("0x%02x", opcode)
                        + " is not used by torch.save " + "and is refused");
            case Opcodes.BUILD -> {
                Object state = stack.pop();
                Object target = stack.peek();
                // torch.save gives the state dict's OrderedDict its `_metadata` attribute (module versions): unused.
                if (!(target instanceof PickleGlobals.OrderedDict) || !(state instanceof Map)) {
                    throw new CheckpointFormatException(pickleName + ": refused to set the state of "
                            + PickleGlobals.describe(target) + " (only an OrderedDict's attributes are accepted)");
                }
            }
            case Opcodes.BINPERSID -> stack.add(loadStorage(stack.pop()));
            // Pyrolite allocates a counted string's length before reading it: check the claim against the bytes
            // that remain, so a 20-byte pickle cannot ask for 2 GiB (found by StateDictUnpicklerFuzzTest).
            case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> {
                requireCountedBytes(opcode, 4);
                return super.dispatch(opcode);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                requireCountedBytes(opcode, 8);
                return super.dispatch(opcode);
            }
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
            case Opcodes.DICT -> {
                Map<Object, Object> dict = new LinkedHashMap<>();
                PickleValues.putPairs(pickleName, stack.pop_all_since_marker(), dict);
                stack.add(dict);
            }
            case Opcodes.SETITEMS -> {
                List<Object> pairs = stack.pop_all_since_marker();
                PickleValues.putPairs(pickleName, pairs, PickleValues.asMap(pickleName, stack.peek()));
            }
            default -> {
                return super.dispatch(opcode);
            }
        }
        return NO_RETURN_VALUE;
    }

    /**
     * Peeks at the {@code width}-byte little-endian count after {@code opcode} and refuses it unless that many bytes
     * follow. {@link #unpickle} reads from a byte array, whose stream knows exactly what remains and can rewind.
     */
    private void requireCountedBytes(short opcode, int width) throws IOException {
        input.mark(width);
        long count = 0;
        for (int i = 0; i < width; i++) {
            int b = input.read();
            if (b < 0) {
                throw new CheckpointFormatException(
                        pickleName + ": pickle ends inside the length of opcode " + String.format("0x%02x", opcode));
            }
            count |= (long) b << (8 * i);
        }
        int remaining = input.available();
        input.reset();
        if (width == 4) {
            count = (int) count; // Pyrolite reads a signed 32-bit count
        }
        if (count < 0 || count > remaining) {
            throw new CheckpointFormatException(pickleName + ": opcode " + String.format("0x%02x", opcode) + " claims "
                    + Long.toUnsignedString(count) + " bytes but only " + remaining + " follow");
        }
    }

    private Object resolveGlobal(String module, String name) throws CheckpointFormatException {
        Object allowed = PickleGlobals.ALLOWED.get(module + "." + name);
        if (allowed == null) {
            throw PickleGlobals.refused(pickleName, module, name);
        }
        return allowed;
    }

    private Object call(Object callable, Object arguments) throws CheckpointFormatException {
        if (!(callable instanceof PickleGlobals.Callable allowed)) {
            throw new CheckpointFormatException(pickleName + ": refused to call " + PickleGlobals.describe(callable));
        }
        if (!(arguments instanceof Object[] args)) {
            throw new CheckpointFormatException(pickleName + ": arguments of " + allowed + " are not a tuple");
        }
        return switch (allowed) {
            case ORDERED_DICT -> {
                if (args.length != 0) {
                    throw new CheckpointFormatException(pickleName + ": OrderedDict with constructor arguments");
                }
                yield new PickleGlobals.OrderedDict();
            }
            case REBUILD_TENSOR_V2 -> rebuildTensor(args);
            // _rebuild_parameter(data, requires_grad, backward_hooks): the parameter's data is the tensor.
            case REBUILD_PARAMETER -> {
                if (args.length < 1 || !(args[0] instanceof HostTensor tensor)) {
                    throw new CheckpointFormatException(pickleName + ": _rebuild_parameter without a tensor");
                }
                yield tensor;
            }
        };
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private HostTensor rebuildTensor(Object[] args) throws CheckpointFormatException {
        if (args.length < 4
                || !(args[0] instanceof TorchStorage storage)
                || !(args[1] instanceof Number offset)
                || !(args[2] instanceof Object[] size)
                || !(args[3] instanceof Object[] stride)) {
            throw new CheckpointFormatException(
                    pickleName + ": unexpected _rebuild_tensor_v2 arguments " + PickleGlobals.describe(args));
        }
        try {
            long[] shape = PickleValues.longs(pickleName, size);
            long numel = HostTensor.numel(shape);
            int itemSize = storage.dtype().byteSize();
            long bytes = numel > Long.MAX_VALUE / itemSize ? Long.MAX_VALUE : numel * itemSize;
            if (bytes > MAX_TENSOR_BYTES_PER_STORAGE_BYTE * storedBytes - tensorBytes) {
                throw new CheckpointFormatException(pickleName + ": a " + storage.dtype() + " tensor of shape "
                        + Arrays.toString(shape) + " (" + bytes + " bytes) would take the tensors past "
                        + MAX_TENSOR_BYTES_PER_STORAGE_BYTE + " times the " + storedBytes
                        + " bytes of their storages (repeated or zero-stride views)");
            }
            tensorBytes += bytes;
            return storage.view(
                    PickleValues.exactLong(pickleName, offset), shape, PickleValues.longs(pickleName, stride));
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(pickleName + ": bad " + storage.dtype() + " tensor: " + e.getMessage());
        }
    }

    /** A persistent id {@code ('storage', storage_type, key, location, numel)}: the storage's bytes. */
    private TorchStorage loadStorage(Object persistentId) throws IOException {
        if (!(persistentId instanceof Object[] id)
                || id.length != 5
                || !"storage".equals(id[0])
                || !(id[1] instanceof PickleGlobals.StorageType type)
                || !(id[2] instanceof String key)
                || !(id[4] instanceof Number declaredNumel)) {
            throw new CheckpointFormatException(
                    pickleName + ": unsupported persistent id " + PickleGlobals.describe(persistentId)
                            + " (expected ('storage', <torch storage type>, key, location, numel))");
        }
        byte[] bytes = storageBytes.get(key);
        if (bytes == null) {
            bytes = storageReader.read(key);
            storageBytes.put(key, bytes);
            storedBytes += bytes.length;
        }
        TorchStorage storage;
        try {
            storage = new TorchStorage(type.dtype(), bytes);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(pickleName + ": storage '" + key + "': " + e.getMessage());
        }
        if (storage.numel() != PickleValues.exactLong(pickleName, declaredNumel)) {
            throw new CheckpointFormatException(pickleName + ": storage '" + key + "' holds " + storage.numel() + " "
                    + type.dtype() + " elements but the pickle declares " + declaredNumel);
        }
        return storage;
    }
}
