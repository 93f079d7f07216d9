package io.spiffeoidc.bundle;

import java.util.List;
import java.util.OptionalLong;

/**
 * What a source may do with the publisher: hand over candidates and report its own connection state.
 * Sources never decide whether a bundle is good; that happens in one place behind this interface.
 */
public interface BundleSink {

    /** A JWKS or SPIFFE bundle document exactly as the source received it. */
    void offerDocument(byte[] document);

    /**
     * Every JWT authority of a source that lists them itself (the SPIRE Server API sends DER keys with
     * expiry and taint, not JWKS), tainted and expired ones included: the publisher decides what is served.
     * With the bundle's sequence number and refresh hint (seconds) when the source has them.
     */
    void offerAuthorities(List<JwtAuthority> authorities, OptionalLong sequence, OptionalLong refreshHint);

    /** Authorities of a bundle without sequence number or refresh hint. */
    default void offerAuthorities(List<JwtAuthority> authorities) {
        offerAuthorities(authorities, OptionalLong.empty(), OptionalLong.empty());
    }

    /**
     * The trust domain's X.509 authorities for its SPIFFE bundle endpoint: each element one or more ASN.1 DER
     * certificates back to back. Judged apart from the JWT authorities, which never wait for them.
     */
    void offerX509Authorities(List<byte[]> certificates);

    /**
     * The source received something that cannot be a candidate at all (no bundle for our trust domain).
     * The refusal's reason and detail stand for the content: the same refusal again counts once.
     */
    void refuse(BundleRefusal refusal);

    /**
     * The source answered but holds no bundle for this trust domain (the agent's map or the server lacks
     * it). Unlike a refusal, it starts the grace period after which the trust domain's keys stop being served.
     */
    void absent(String detail);

    /**
     * The source is reachable. A streaming source passes {@code true}: while it stays up, the bundle it
     * last delivered is current, because the other end pushes every change.
     */
    void sourceUp(boolean streaming);

    /** The source cannot be reached or read; {@code error} is one line for logs and health data. */
    void sourceDown(String error);
}
