package org.refconv.checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON header of a safetensors file: for each tensor its dtype, shape and byte range in the data buffer, plus
 * the optional string map {@code __metadata__}. Parsing validates everything the header claims, so that the
 * reader can trust it.
 */
final class SafeTensorsHeader {
    static final String METADATA_KEY = "__metadata__";

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One tensor's header entry; {@code begin}/{@code end} are byte offsets in the data buffer. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        long byteLength() {
            return end - begin;
        }
    }

    private final List<Entry> entries;
    private final Map<String, String> metadata;

    private SafeTensorsHeader(List<Entry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** The tensors in header order (the order of the JSON object, which our writer makes the state dict's). */
    List<Entry> entries() {
        return entries;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    static SafeTensorsHeader parse(byte[] json, String source) throws CheckpointFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw CheckpointFormatException.in(
                    source,
                    "header is not valid JSON: " + e.getOriginalMessage() + " (line "
                            + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw CheckpointFormatException.in(source, "header is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw CheckpointFormatException.in(
                    source,
                    "header must be a JSON object, found "
                            + (root == null
                                    ? "nothing"
                                    : root.getNodeType().toString().toLowerCase()));
        }
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(field.getValue(), source);
            } else {
                entries.add(parseEntry(field.getKey(), field.getValue(), source));
            }
        }
        return new SafeTensorsHeader(List.copyOf(entries), metadata);
    }

    private static Map<String, String> parseMetadata(JsonNode node, String source) throws CheckpointFormatException {
        if (!node.isObject()) {
            throw CheckpointFormatException.in(source, METADATA_KEY + " must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw CheckpointFormatException.in(
                        source,
                        METADATA_KEY + " value of '" + field.getKey() + "' must be a string, found "
                                + field.getValue());
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
        return metadata;
    }

    private static Entry parseEntry(String name, JsonNode node, String source) throws CheckpointFormatException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw CheckpointFormatException.in(
                    source, where + ": entry must be an object with dtype, shape and " + "data_offsets, found " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw CheckpointFormatException.in(source, where + ": missing or non-string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.textValue());
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(source, where + ": " + e.getMessage());
        }
        long[] shape = nonNegativeLongs(node.get("shape"), -1, where + ": \"shape\"", source);
        long[] offsets = nonNegativeLongs(node.get("data_offsets"), 2, where + ": \"data_offsets\"", source);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw CheckpointFormatException.in(
                    source, where + ": data_offsets " + Arrays.toString(offsets) + " end before they begin");
        }
        long numel;
        try {
            numel = HostTensor.numel(shape);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(source, where + ": " + e.getMessage());
        }
        long needed = numel > Long.MAX_VALUE / dtype.byteSize() ? -1 : numel * dtype.byteSize();
        if (needed != end - begin) {
            throw CheckpointFormatException.in(
                    source,
                    where + ": shape " + Arrays.toString(shape) + " of " + dtype
                            + " needs " + (needed < 0 ? "more than 2^63" : needed) + " bytes but data_offsets "
                            + Arrays.toString(offsets) + " span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers, of length {@code expectedLength} unless that is negative. */
    private static long[] nonNegativeLongs(JsonNode node, int expectedLength, String what, String source)
            throws CheckpointFormatException {
        if (node == null || !node.isArray() || (expectedLength >= 0 && node.size() != expectedLength)) {
            throw CheckpointFormatException.in(
                    source,
                    what + " must be an array of " + (expectedLength >= 0 ? expectedLength + " " : "")
                            + "non-negative integers, found " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = node.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
                throw CheckpointFormatException.in(source, what + " must hold non-negative integers, found " + node);
            }
            values[i] = element.longValue();
        }
        return values;
    }

    /**
     * The entries sorted by offset, after checking that they tile {@code [0, dataLength)} exactly: no gap, no
     * overlap, nothing beyond the buffer, no trailing bytes ({@code dataLength} negative when unknown: the caller
     * then checks for trailing bytes itself).
     */
    List<Entry> inDataOrder(long dataLength, String source) throws CheckpointFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        String previous = null;
        for (Entry entry : sorted) {
            if (entry.begin() != expectedBegin) {
                String offsets =
                        "tensor '" + entry.name() + "': data_offsets [" + entry.begin() + ", " + entry.end() + "] ";
                throw CheckpointFormatException.in(
                        source,
                        offsets
                                + (previous == null
                                        ? "leave a gap at the start of the data buffer"
                                        : (entry.begin() < expectedBegin ? "overlap" : "leave a gap after")
                                                + " tensor '" + previous + "', which ends at " + expectedBegin)
                                + ": tensors must tile the buffer exactly");
            }
            if (dataLength >= 0 && entry.end() > dataLength) {
                throw CheckpointFormatException.in(
                        source,
                        "tensor '" + entry.name() + "': data_offsets ["
                                + entry.begin() + ", " + entry.end() + "] go beyond the data buffer of " + dataLength
                                + " bytes (file truncated or header lying)");
            }
            expectedBegin = entry.end();
            previous = entry.name();
        }
        if (dataLength >= 0 && expectedBegin != dataLength) {
            throw CheckpointFormatException.in(
                    source,
                    "the tensors cover " + expectedBegin + " bytes but the data " + "buffer has " + dataLength + ": "
                            + (dataLength - expectedBegin) + " trailing bytes");
        }
        return sorted;
    }

    /** Header JSON for {@code stateDict}'s tensors laid out contiguously in order, space-padded to 8 bytes. */
    static byte[] serialize(StateDict stateDict) {
        ObjectNode root = JSON.createObjectNode();
        if (!stateDict.metadata().isEmpty()) {
            ObjectNode metadata = root.putObject(METADATA_KEY);
            stateDict.metadata().forEach(metadata::put);
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> named : stateDict.entries()) {
            if (named.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA_KEY + " in safetensors");
            }
            HostTensor tensor = named.getValue();
            long length = tensor.numel() * tensor.dtype().byteSize();
            ObjectNode entry = root.putObject(named.getKey());
            entry.put("dtype", tensor.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long dim : tensor.shape()) {
                shape.add(dim);
            }
            entry.putArray("data_offsets").add(offset).add(offset + length);
            offset += length;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a tree of strings and numbers", e);
        }
        int padding = (8 - json.length % 8) % 8;
        byte[] padded = Arrays.copyOf(json, json.length + padding);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }
}
