package org.refconv.train;

import java.io.Serializable;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One submission of the training barrier stage by the driver. Its {@link #number} orders submissions (a resize or
 * a hang recovery submits a new one); Spark may retry a submission's stage itself, so a rank tells its attempt by
 * both numbers ({@link #id}). The secret reaches the ranks inside the task closure, i.e. over Spark's own
 * (authenticated, encrypted when configured) channel, and is never printed or written: ranks derive from it a token
 * per Spark stage attempt ({@link #token}), since Spark reuses a stage's serialized tasks when it retries them.
 */
public final class Attempt implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int number;
    private final byte[] secret;

    private Attempt(int number, byte[] secret) {
        this.number = number;
        this.secret = secret;
    }

    /** The first submission of a run. */
    public static Attempt first() {
        return new Attempt(1, freshSecret());
    }

    /** The submission after this one, with a secret of its own. */
    public Attempt next() {
        return new Attempt(number + 1, freshSecret());
    }

    public int number() {
        return number;
    }

    /** "submission.stageAttempt", e.g. "2.0": what fences writes and what logs and metrics name. */
    public String id(int stageAttempt) {
        return number + "." + stageAttempt;
    }

    /** The secret of one Spark stage attempt of this submission: HMAC-SHA256(secret, id). */
    public byte[] token(int stageAttempt) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(id(stageAttempt).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** Never shows the secret (configs and closures get logged). */
    @Override
    public String toString() {
        return "Attempt " + number;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attempt a && a.number == number && Arrays.equals(a.secret, secret);
    }

    @Override
    public int hashCode() {
        return number;
    }

    private static byte[] freshSecret() {
        byte[] s = new byte[32];
        RANDOM.nextBytes(s);
        return s;
    }
}
