package org.refconv.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.refconv.io.HadoopFiles;

/**
 * Reads PyTorch's zip-format checkpoints ({@code torch.save(model.state_dict(), f)}, the default since PyTorch
 * 1.6): a zip holding {@code <archive>/data.pkl} (the pickled dict), {@code <archive>/data/<key>} (raw storages),
 * {@code <archive>/version} and, in newer versions, {@code <archive>/byteorder}. Only state dicts of tensors are
 * accepted; the pickle is unpickled with an allow-list (see {@link StateDictUnpickler}), so nothing a malicious
 * file names is ever constructed.
 */
public final class TorchCheckpoint {
    private static final String PICKLE = "data.pkl";

    private TorchCheckpoint() {}

    /** Reads {@code uri} through positioned reads: only the zip's directory and the needed entries are fetched. */
    public static StateDict read(String uri, Configuration conf) throws IOException {
        long length = HadoopFiles.length(uri, conf);
        try (FSDataInputStream in = HadoopFiles.open(uri, conf)) {
            return read(RandomAccessSource.of(in, length), uri);
        }
    }

    /**
     * Reads a checkpoint from a stream (not closed). A zip's directory is at its end, so the whole stream is
     * buffered in memory first. {@code sourceName} is only used in error messages.
     */
    public static StateDict read(InputStream in, String sourceName) throws IOException {
        return read(RandomAccessSource.of(in.readAllBytes()), sourceName);
    }

    private static StateDict read(RandomAccessSource file, String source) throws IOException {
        requireZip(file, source);
        try (ZipArchive zip = ZipArchive.open(file, source)) {
            String prefix = archivePrefix(zip, source);
            if (zip.contains(prefix + "byteorder")) {
                String byteOrder = new String(zip.read(prefix + "byteorder"), StandardCharsets.US_ASCII).trim();
                if (!byteOrder.equals("little")) {
                    throw CheckpointFormatException.in(
                            source,
                            "byteorder is '" + byteOrder + "': only little-endian " + "checkpoints are supported");
                }
            }
            String pickleName = CheckpointFormatException.describe(source) + "/" + prefix + PICKLE;
            StateDictUnpickler unpickler = new StateDictUnpickler(pickleName, key -> {
                // torch.save names storages 0, 1, 2...: a key with a path in it could only point outside data/.
                if (!key.matches("[A-Za-z0-9_]+")) {
                    throw new CheckpointFormatException(
                            pickleName + ": storage key '" + key + "' is not a plain name (torch.save uses 0, 1, ...)");
                }
                String entry = prefix + "data/" + key;
                if (!zip.contains(entry)) {
                    throw CheckpointFormatException.in(
                            source, "storage '" + entry + "' referenced by the pickle is " + "missing from the zip");
                }
                return zip.read(entry);
            });
            return toStateDict(unpickler.unpickle(zip.read(prefix + PICKLE)), pickleName);
        }
    }

    /** Fails clearly on the legacy format (a bare pickle stream) and on anything that is not a zip. */
    private static void requireZip(RandomAccessSource file, String source) throws IOException {
        byte[] magic = file.read(0, (int) Math.min(4, file.length()));
        if (magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
            return;
        }
        if (magic.length > 0 && (magic[0] & 0xff) == 0x80) { // pickle's PROTO opcode
            throw CheckpointFormatException.in(
                    source,
                    "legacy (non-zip) PyTorch checkpoint: re-save it in PyTorch "
                            + ">= 1.6 with torch.save(torch.load(f), f2) (the default zip format)");
        }
        throw CheckpointFormatException.in(
                source, "not a PyTorch checkpoint: a torch.save file is a zip archive " + "starting with 'PK'");
    }

    /** The archive folder ({@code "<name>/"}) of the one {@code <name>/data.pkl} entry. */
    private static String archivePrefix(ZipArchive zip, String source) throws CheckpointFormatException {
        List<String> pickles = zip.names().stream()
                .filter(name -> name.matches("([^/]+/)?data\\.pkl"))
                .toList();
        if (pickles.size() != 1) {
            String problem = pickles.isEmpty()
                    ? "zip archive without <archive>/" + PICKLE + ": not a PyTorch checkpoint"
                    : "several " + PICKLE + " entries " + pickles;
            List<String> names = zip.names();
            String shown =
                    names.size() <= 5 ? names.toString() : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
            throw CheckpointFormatException.in(source, problem + " (entries: " + shown + ")");
        }
        String pickle = pickles.get(0);
        return pickle.substring(0, pickle.length() - PICKLE.length());
    }

    private static StateDict toStateDict(Object unpickled, String pickleName) throws CheckpointFormatException {
        if (!(unpickled instanceof Map<?, ?> map)) {
            throw new CheckpointFormatException(pickleName + ": the checkpoint holds "
                    + PickleGlobals.describe(unpickled) + ", not a state dict (a dict of name -> tensor)");
        }
        StateDict stateDict = new StateDict();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String name) || !(entry.getValue() instanceof HostTensor tensor)) {
                throw new CheckpointFormatException(
                        pickleName + ": entry " + PickleGlobals.describe(entry.getKey()) + " holds "
                                + PickleGlobals.describe(entry.getValue()) + ", not a "
                                + "tensor: only a state dict of name -> tensor is supported (torch.save(model.state_dict()))");
            }
            stateDict.put(name, tensor);
        }
        return stateDict;
    }
}
