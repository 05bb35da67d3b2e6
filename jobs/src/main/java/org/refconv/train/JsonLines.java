package org.refconv.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The small JSON objects the run writes (progress, metrics lines): written, and numbers read back. */
final class JsonLines {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLines() {}

    /** One JSON object, fields in the map's order. */
    static String line(java.util.Map<String, ?> fields) {
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not writable as JSON: " + fields, e);
        }
    }

    /** The field as a double; NaN when it is absent or null. */
    static double number(String json, String field) {
        try {
            JsonNode v = MAPPER.readTree(json).get(field);
            return v == null || v.isNull() ? Double.NaN : v.asDouble();
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON object: " + json, e);
        }
    }
}
