package org.refconv.train;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class AttemptTest {

    @Test
    void tokensDifferPerStageAttemptAndPerSubmission() {
        Attempt a = Attempt.first();
        Attempt b = a.next();
        assertEquals(1, a.number());
        assertEquals(2, b.number());
        assertEquals("2.3", b.id(3));
        assertArrayEquals(a.token(0), a.token(0));
        assertFalse(Arrays.equals(a.token(0), a.token(1)));
        assertFalse(Arrays.equals(a.token(0), b.token(0)));
        assertEquals(32, a.token(0).length);
    }

    @Test
    void tokenIsHmacSha256OfTheId() throws Exception {
        // Against the JDK's Mac with the secret read back through serialization, an independent path to the key.
        Attempt a = Attempt.first();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(a);
        }
        Attempt back;
        try (java.io.ObjectInputStream in =
                new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            back = (Attempt) in.readObject();
        }
        assertEquals(a, back);
        java.lang.reflect.Field f = Attempt.class.getDeclaredField("secret");
        f.setAccessible(true);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec((byte[]) f.get(back), "HmacSHA256"));
        byte[] expected = mac.doFinal("1.2".getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(a.token(2)));
    }

    @Test
    void toStringHidesTheSecret() {
        assertEquals("Attempt 1", Attempt.first().toString());
    }
}
