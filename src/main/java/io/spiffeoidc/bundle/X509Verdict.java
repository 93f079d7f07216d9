package io.spiffeoidc.bundle;

/**
 * The verdict on a candidate's X.509 part: accepted, refused, or nothing to judge (no X.509 part, no SPIFFE
 * bundle endpoint, or the same certificates as last time).
 */
record X509Verdict(X509Authorities accepted, BundleRefusal refusal) {

    static final X509Verdict NONE = new X509Verdict(null, null);

    static X509Verdict of(X509Authorities authorities) {
        return new X509Verdict(authorities, null);
    }

    static X509Verdict refused(BundleRefusal refusal) {
        return new X509Verdict(null, refusal);
    }

    /** Whether it brings X.509 authorities other than {@code previous}. */
    boolean changes(X509Authorities previous) {
        return accepted != null && !accepted.sameAs(previous);
    }
}
