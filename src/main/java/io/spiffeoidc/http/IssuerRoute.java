package io.spiffeoidc.http;

import io.spiffeoidc.bundle.BundlePublisher;

/**
 * Where one trust domain's issuer is served and what it advertises: its host names, its two paths and
 * the publisher whose snapshot those paths answer with.
 */
public record IssuerRoute(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
        String keysPath, String discoveryPath) {

    /** @param prefix the normalised path prefix: "" for the root, else "/a[/b...]" */
    public static IssuerRoute of(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
            String prefix) {
        return new IssuerRoute(trustDomain, publisher, hosts, issuers, prefix + "/keys",
                prefix + "/.well-known/openid-configuration");
    }

    boolean serves(String path) {
        return path.equals(keysPath) || path.equals(discoveryPath);
    }
}
