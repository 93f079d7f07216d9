package io.spiffeoidc.bundle;

/**
 * Why a candidate bundle was not published. The label is the metric tag and the word used in logs,
 * so it is part of what operators alert on: keep the labels stable.
 */
public enum RefusalReason {
    INVALID_JSON("invalid-json"),
    TOO_LARGE("too-large"),
    TOO_MANY_KEYS("too-many-keys"),
    PRIVATE_KEY_MATERIAL("private-key-material"),
    SYMMETRIC_KEY("symmetric-key"),
    MISSING_KID("missing-kid"),
    DUPLICATE_KID("duplicate-kid"),
    WEAK_KEY("weak-key"),
    UNSUPPORTED_KEY("unsupported-key"),
    MALFORMED_KEY("malformed-key"),
    ALGORITHM_MISMATCH("algorithm-mismatch"),
    EMPTY_KEY_SET("empty-key-set"),
    SEQUENCE_ROLLBACK("sequence-rollback"),
    TRUST_DOMAIN_MISSING("trust-domain-missing"),
    /** An X.509 authority that is not a DER certificate, or an x509-svid member that does not hold one. */
    INVALID_X509_AUTHORITY("invalid-x509-authority"),
    X509_AUTHORITY_NOT_CA("x509-authority-not-ca");

    private final String label;

    RefusalReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
