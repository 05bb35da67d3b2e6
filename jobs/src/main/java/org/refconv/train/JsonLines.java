package org.refconv.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reading numbers back from the small JSON objects the run writes (progress, metrics lines). */
final class JsonLines {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLines() {}

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
