package org.refconv.dist;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret one attempt of a group shares, which the ranks receive over an authenticated channel (Spark's task
 * closure) and never over the store or Gloo: the store's key prefix, the MAC of every value the project writes in the
 * store ({@link SignedStore}) and each rank's proof of membership ({@link GroupProof}) derive from it, each with its
 * own purpose label so that no MAC can stand in for another.
 */
public final class GroupToken {

    /** 128 bits: below that an HMAC key is guessable in principle. */
    static final int MIN_BYTES = 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;

    private GroupToken(byte[] secret) {
        this.secret = secret;
    }

    /** A token from the attempt's secret bytes (copied). */
    public static GroupToken of(byte[] secret) {
        if (secret == null || secret.length < MIN_BYTES) {
            throw new IllegalArgumentException("a group token needs at least " + MIN_BYTES + " random bytes");
        }
        return new GroupToken(secret.clone());
    }

    /** A fresh random token: for groups whose ranks all live in this JVM (tests, {@link LocalRanks}). */
    public static GroupToken random() {
        byte[] s = new byte[32];
        RANDOM.nextBytes(s);
        return new GroupToken(s);
    }

    /**
     * The prefix of every key this attempt's group uses in the store: a process without the token does not know where
     * the group's keys are, and two attempts sharing a store never read each other's. Not a secret once the store
     * lists its keys, hence the MACs. c10d's PrefixStore puts a '/' between it and each key.
     */
    public String keyPrefix() {
        return "refconv/" + HexFormat.of().formatHex(mac("store key prefix"), 0, 12);
    }

    /** HMAC-SHA256 over a purpose label and the parts, each length-prefixed (no two part lists collide). */
    byte[] mac(String purpose, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            update(mac, purpose.getBytes(StandardCharsets.UTF_8));
            for (byte[] p : parts) {
                update(mac, p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** Compares MACs in constant time. */
    static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    private static void update(Mac mac, byte[] part) {
        mac.update(ByteBuffer.allocate(4).putInt(part.length).array());
        mac.update(part);
    }

    /** Never shows the secret (objects get logged). */
    @Override
    public String toString() {
        return "GroupToken";
    }
}
