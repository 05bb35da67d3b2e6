package org.refconv.dist;

/**
 * Something in the group did not prove the attempt's token: a rank (a foreign process in its place) or a value read
 * from the store. The attempt fails; it never goes on with what it could not authenticate.
 */
public final class GroupAuthenticationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GroupAuthenticationException(String message) {
        super(message);
    }
}
