package io.spiffeoidc.storage;

/**
 * The user metadata written with every document; stores prefix them (x-amz-meta-, x-ms-meta-). Names are
 * lower-case letters only: Azure takes C# identifiers (no '-'), and proxies such as nginx drop headers with '_'.
 */
final class TargetMetadata {

    /** The document's SHA-256 in base64url: the listener's ETag for the same bytes, without quotes. */
    static final String DIGEST = "digest";
    /** The bundle's spiffe_sequence, where the source gives one. */
    static final String SEQUENCE = "sequence";
    static final String TRUST_DOMAIN = "trustdomain";

    private TargetMetadata() {
    }
}
