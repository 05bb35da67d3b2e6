package org.refconv.dist;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.Store;

/**
 * The values this project writes in a group's c10d store and reads back (heartbeats, progress marks), each followed
 * by its HMAC under the attempt's token and bound to its key: a process that reaches the store port can list and
 * overwrite keys, but what it writes is refused when read, never taken for a rank's value.
 */
public final class SignedStore {

    static final int MAC_BYTES = 32;

    private final Store store;
    private final GroupToken token;

    SignedStore(Store store, GroupToken token) {
        this.store = store;
        this.token = token;
    }

    /** Sets {@code key} (under the group's prefix) to {@code value} and its MAC. */
    public void set(String key, byte[] value) {
        byte[] signed = Arrays.copyOf(value, value.length + MAC_BYTES);
        System.arraycopy(mac(key, value), 0, signed, value.length, MAC_BYTES);
        store.set(key, new ByteVector(signed));
    }

    /**
     * The value of {@code key}, waiting for it up to the store's timeout.
     *
     * @throws GroupAuthenticationException if its MAC does not verify (written by something without the token, or
     *     another key's value copied here)
     */
    public byte[] get(String key) {
        ByteVector v = store.get(key);
        byte[] signed = new byte[Math.toIntExact(v.size())];
        for (int i = 0; i < signed.length; i++) {
            signed[i] = v.get(i);
        }
        return verified(key, signed);
    }

    static byte[] verifiedValue(GroupToken token, String key, byte[] signed) {
        return new SignedStore(null, token).verified(key, signed);
    }

    private byte[] verified(String key, byte[] signed) {
        if (signed.length < MAC_BYTES) {
            throw forged(key);
        }
        byte[] value = Arrays.copyOf(signed, signed.length - MAC_BYTES);
        byte[] mac = Arrays.copyOfRange(signed, value.length, signed.length);
        if (!GroupToken.same(mac, mac(key, value))) {
            throw forged(key);
        }
        return value;
    }

    private byte[] mac(String key, byte[] value) {
        return token.mac("store value", key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static GroupAuthenticationException forged(String key) {
        return new GroupAuthenticationException("the store's value of '" + key + "' does not carry this attempt's MAC:"
                + " written by a process without the token (another attempt, or a foreign client of the store port)");
    }
}
