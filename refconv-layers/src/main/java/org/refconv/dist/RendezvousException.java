package org.refconv.dist;

import java.time.Duration;

/** A rank could not join its group: rank 0's store was unreachable, or the group did not form, in time. */
public final class RendezvousException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RendezvousException(
            int rank, int worldSize, String host, int port, String localHost, Duration timeout, Throwable cause) {
        super(
                String.format(
                        "rank %d of %d (on %s) could not rendezvous with rank 0's store at %s:%d within %d s (a loopback or"
                                + " unreachable address? set the rendezvous interface or address): %s",
                        rank, worldSize, localHost, host, port, timeout.toSeconds(), firstLine(cause.getMessage())),
                cause);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
