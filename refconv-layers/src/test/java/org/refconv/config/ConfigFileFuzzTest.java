package org.refconv.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the config-file parser ({@code key = value} lines or a flat JSON object), then a {@link KeyTable} with a key
 * of every kind parses what it read ({@link CommandLineFuzzTest} does the same for command-line options). Only a {@link ConfigException} may escape, and its message
 * names the file, the argument or the key at fault. A JSON file is accepted exactly when Jackson's own tree reading
 * (the reference) sees a flat object of scalars and lists of scalars, with the same keys and texts. Default test run:
 * replays {@code ConfigFileFuzzTestInputs/}; {@code -Pfuzz}: coverage-guided fuzzing (docs/security.md).
 */
class ConfigFileFuzzTest {

    private static final KeyTable TABLE = KeyTable.of(
            "fuzz",
            Key.string("name", "run", Key.Kind.OPERATIONAL, "a string"),
            Key.required("input", Key.Kind.OPERATIONAL, "a required string"),
            Key.positiveInt("epochs", 2, Key.Kind.TRAJECTORY, "a positive int"),
            Key.intIn("seed", 0, -5, 1000, Key.Kind.TRAJECTORY, "a ranged int"),
            Key.longValue("bytes", 1L << 40, Key.Kind.OPERATIONAL, "a long"),
            Key.doubleIn("lr", 0.1, 0, 10, Key.Kind.TRAJECTORY, "a ranged double"),
            Key.bool("overwrite", false, Key.Kind.OPERATIONAL, "a flag"),
            Key.oneOf("sync", "blocking", List.of("blocking", "overlapped"), Key.Kind.RESUMABLE, "one of"),
            Key.enumOf("kind", Key.Kind.RESUMABLE, Key.Kind.OPERATIONAL, "an enum"),
            Key.string("shardSizeMb", "64", Key.Kind.OPERATIONAL, "a camelCase key"));

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;

    @FuzzTest(maxDuration = "2m")
    void confFile(byte[] input) throws IOException {
        Path file = file();
        Files.write(file, input);
        Settings settings = new Settings();
        try {
            settings.readFile(file);
        } catch (ConfigException e) {
            assertNames(e, file.toString());
            assertJsonRefused(input);
            return;
        }
        assertJsonAgrees(input, settings);
        for (Settings.Setting s : settings.asMap().values()) {
            assertTrue(s.origin().startsWith(file + ":"), "origin " + s.origin() + " does not name the file");
        }
        parse(settings);
    }

    /** Parses with the table: typed values or a ConfigException naming a key the settings hold or the table has. */
    static void parse(Settings settings) {
        try {
            Values v = TABLE.parse(settings);
            for (Key<?> k : TABLE.keys()) {
                assertEquals(
                        v.get(k),
                        k.parse(v.raw().get(k.name()), "again"),
                        k + ": its recorded text parses differently");
            }
        } catch (ConfigException e) {
            String m = String.valueOf(e.getMessage());
            boolean named = settings.asMap().entrySet().stream()
                            .anyMatch(s -> m.contains("'" + s.getKey() + "'")
                                    || m.contains(s.getValue().origin()))
                    || TABLE.keys().stream().anyMatch(k -> m.contains("'" + k.name() + "'"));
            assertTrue(named, "error names no key nor where it came from: " + m);
        }
    }

    private static void assertNames(ConfigException e, String file) {
        assertTrue(e.getMessage() != null && e.getMessage().startsWith(file), "error without the file: " + e);
    }

    /** A JSON file (as the parser tells one apart) that we refused is one Jackson does not read as a flat object. */
    private static void assertJsonRefused(byte[] input) {
        Map<String, String> ref = reference(input);
        assertTrue(ref == null, "refused a flat JSON object Jackson reads as " + ref);
    }

    private static void assertJsonAgrees(byte[] input, Settings settings) {
        if (!isJson(input)) {
            return;
        }
        Map<String, String> ref = reference(input);
        assertTrue(ref != null, "accepted JSON that is not one flat object of scalars and lists of scalars");
        Map<String, String> got = new LinkedHashMap<>();
        settings.asMap().forEach((k, s) -> got.put(k, s.value()));
        assertEquals(ref.keySet(), got.keySet(), "keys differ from Jackson's");
        ref.forEach((k, v) -> {
            if (v != null) {
                assertEquals(v, got.get(k), "value of " + k);
            }
        });
    }

    private static boolean isJson(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        return text.stripLeading().startsWith("{");
    }

    /**
     * Jackson's tree of the input if it is one flat object (scalars, lists of scalars): keys as Settings stores them,
     * string values with their text (numbers: null, not compared, since a tree keeps no literal); else null.
     */
    private static Map<String, String> reference(byte[] input) {
        if (!isJson(input) || !validUtf8(input)) {
            return null;
        }
        JsonNode root;
        try (com.fasterxml.jackson.core.JsonParser p = JSON.createParser(new String(input, StandardCharsets.UTF_8))) {
            root = JSON.readTree(p);
            if (root == null || !root.isObject() || p.nextToken() != null) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> f : root.properties()) {
            JsonNode n = f.getValue();
            String value;
            if (n.isArray()) {
                for (JsonNode item : n) {
                    if (item.isContainerNode()) {
                        return null;
                    }
                }
                value = null;
            } else if (n.isContainerNode()) {
                return null;
            } else {
                value = n.isTextual() ? n.textValue() : null;
            }
            out.put(Settings.camelCase(f.getKey()), value); // a later duplicate (after camelCase) wins
        }
        return out;
    }

    private static boolean validUtf8(byte[] input) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(input));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    private static synchronized Path file() {
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("config-fuzz");
                dir.toFile().deleteOnExit();
            }
            Path f = dir.resolve("fuzz.conf");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
