package io.spiffeoidc.storage;

/**
 * A store operation that did not happen. {@link #reason()} is a fixed word for metric tags; the message is
 * one line for the log, without a stack trace.
 */
public class StoreException extends Exception {

    /** Why an operation failed, as metric tags name it. */
    public enum Reason {
        /** Another writer changed the object first: re-read and decide again. */
        CONFLICT("conflict"),
        /** No connection, a timeout, a 5xx: try again later. */
        UNAVAILABLE("unavailable"),
        /** 401/403: credentials missing, wrong or without the permission. */
        DENIED("denied"),
        /** The bucket, container or directory does not exist. */
        NOT_FOUND("not-found"),
        /** Anything else the store answered. */
        REFUSED("refused");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    private final Reason reason;

    public StoreException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** What an HTTP status from a store means for the publisher. */
    static StoreException ofStatus(int status, String message) {
        if (status == 412 || status == 409) {
            return conflict(message);
        }
        Reason reason = status == 401 || status == 403 ? Reason.DENIED
                : status == 404 ? Reason.NOT_FOUND
                : status >= 500 || status == 429 ? Reason.UNAVAILABLE : Reason.REFUSED;
        return new StoreException(reason, message);
    }

    public static StoreException conflict(String message) {
        return new StoreException(Reason.CONFLICT, message);
    }
}
