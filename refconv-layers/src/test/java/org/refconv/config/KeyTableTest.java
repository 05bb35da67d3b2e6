package org.refconv.config;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defaults, parsing, origins and the config hash, all derived from one table of keys. */
class KeyTableTest {

    private static final Key<Double> LR = Key.doubleIn("lr", 0.1, 0, 10, Key.Kind.TRAJECTORY, "learning rate");
    private static final Key<Integer> RANKS = Key.positiveInt("ranks", 2, Key.Kind.RESUMABLE, "ranks");
    private static final Key<String> OUT = Key.string("output", "", Key.Kind.OPERATIONAL, "where");
    private static final Key<String> MODE = Key.oneOf("mode", "a", List.of("a", "b"), Key.Kind.TRAJECTORY, "mode");
    private static final KeyTable TABLE = KeyTable.of("job", LR, RANKS, OUT, MODE);

    private static Values parse(String... args) {
        return TABLE.parse(Settings.fromArgs(args));
    }

    @Test
    void defaultsAndOverridesWithTheirOrigins() {
        Values v = parse("--lr", "0.05");
        assertEquals(0.05, v.get(LR));
        assertEquals(2, v.get(RANKS));
        assertEquals("--lr (lr)", v.origin(LR));
        assertEquals("default ranks", v.origin(RANKS));
        assertEquals(
                List.of("lr", "ranks", "output", "mode"),
                List.copyOf(TABLE.defaults().keySet()));
    }

    @Test
    void badValuesAndUnknownKeysNameWhereTheyCameFrom() {
        ConfigException bad = assertThrows(ConfigException.class, () -> parse("--ranks", "0"));
        assertTrue(bad.getMessage().startsWith("--ranks (ranks): must be in 1.."), bad.getMessage());
        ConfigException unknown = assertThrows(ConfigException.class, () -> parse("--lrr", "1"));
        assertTrue(unknown.getMessage().contains("unknown key 'lrr'"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyTable.of("dup", LR, LR));
        assertThrows(NullPointerException.class, () -> Key.string("k", "", null, "a key without a kind"));
    }

    @Test
    void theHashCoversTrajectoryKeysOnlyAndParsedValues() {
        String base = TABLE.hash(parse());
        assertEquals(base, TABLE.hash(parse("--ranks", "8", "--output", "/elsewhere")));
        assertEquals(base, TABLE.hash(parse("--lr", "0.10")), "0.10 and 0.1 are one value");
        assertNotEquals(base, TABLE.hash(parse("--lr", "0.2")));
        assertNotEquals(base, TABLE.hash(parse("--mode", "b")));
        // Hand-computed: SHA-256 of "lr=0.1\nmode=a\n", first 8 bytes.
        assertEquals(sha256Prefix("lr=0.1\nmode=a\n"), base);
    }

    private static String sha256Prefix(String text) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
