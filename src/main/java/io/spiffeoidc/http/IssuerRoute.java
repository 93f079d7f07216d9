package io.spiffeoidc.http;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.PathPrefix;
import java.util.Optional;

/**
 * Where one trust domain's issuer is served and what it advertises: its host names, its two paths, the
 * path of its SPIFFE bundle (null when that endpoint is off) and the publisher whose snapshot those paths
 * answer with.
 */
public record IssuerRoute(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
        String keysPath, String discoveryPath, String bundlePath) {

    public static IssuerRoute of(String trustDomain, BundlePublisher publisher, HostPolicy hosts, IssuerResolver issuers,
            PathPrefix prefix, Optional<String> bundlePath) {
        return new IssuerRoute(trustDomain, publisher, hosts, issuers, prefix.value() + "/keys",
                prefix.value() + "/.well-known/openid-configuration", bundlePath.orElse(null));
    }

    boolean serves(String path) {
        return path.equals(keysPath) || path.equals(discoveryPath) || path.equals(bundlePath);
    }
}
