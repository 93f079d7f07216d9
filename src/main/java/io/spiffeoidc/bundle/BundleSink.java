package io.spiffeoidc.bundle;

import java.util.List;

/**
 * What a source may do with the publisher: hand over candidates and report its own connection state.
 * Sources never decide whether a bundle is good; that happens in one place behind this interface.
 */
public interface BundleSink {

    /** A JWKS or SPIFFE bundle document exactly as the source received it. */
    void offerDocument(byte[] document);

    /**
     * A bundle of a source that lists its authorities itself: its JWT authorities (and X.509 authorities, when
     * asked for) are one candidate, published together.
     */
    void offerAuthorities(AuthorityBundle bundle);

    /**
     * The trust domain's X.509 authorities alone, for its SPIFFE bundle endpoint (the Workload API sends them
     * on a stream of their own): each element one or more ASN.1 DER certificates back to back. Judged apart
     * from the JWT authorities, which never wait for them.
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
