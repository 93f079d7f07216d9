package io.spiffeoidc.http;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.PathPrefix;

/**
 * Where one trust domain's issuer is served and what it advertises: its host names, its two paths and
 * the publisher whose snapshot those paths answer with.
 */
public record IssuerRoute(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
        String keysPath, String discoveryPath) {

    public static IssuerRoute of(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
            PathPrefix prefix) {
        return new IssuerRoute(trustDomain, publisher, hosts, issuers, prefix.value() + "/keys",
                prefix.value() + "/.well-known/openid-configuration");
    }

    boolean serves(String path) {
        return path.equals(keysPath) || path.equals(discoveryPath);
    }
}
