package io.spiffeoidc.source;

import io.spiffeoidc.bundle.BundleSink;

/**
 * One trust domain a source serves and the sink its candidates go to.
 *
 * @param trustDomain     the trust domain name, e.g. "example.org"; empty for a file source without a
 *                        configured trust domain, which publishes whatever its file holds
 * @param x509Authorities whether the trust domain's X.509 authorities are wanted too (its SPIFFE bundle
 *                        endpoint is on), so a gRPC source asks for them
 */
public record TrustDomainSink(String trustDomain, BundleSink sink, boolean x509Authorities) {

    /** The key of this trust domain in a Workload API bundle map. */
    public String spiffeId() {
        return "spiffe://" + trustDomain;
    }
}
