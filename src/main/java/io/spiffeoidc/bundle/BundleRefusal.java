package io.spiffeoidc.bundle;

/** A candidate bundle that must not be published, with the reason and the key it concerns. */
public final class BundleRefusal extends Exception {

    private final RefusalReason reason;

    public BundleRefusal(RefusalReason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public RefusalReason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }

    @Override
    public String toString() {
        return reason.label() + ": " + getMessage();
    }
}
