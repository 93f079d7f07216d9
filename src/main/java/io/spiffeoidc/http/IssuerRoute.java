package io.spiffeoidc.http;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.PathPrefix;
import java.util.Optional;
import java.util.Set;

/**
 * Where one trust domain's issuer is served and what it advertises: its host names (lower case), its two
 * paths, the path of its SPIFFE bundle (null when that endpoint is off) and the publisher whose snapshot
 * those paths answer with.
 */
public record IssuerRoute(String trustDomain, BundlePublisher publisher, Set<String> hosts, IssuerResolver issuers,
        String keysPath, String discoveryPath, String bundlePath) {

    public IssuerRoute {
        hosts = Set.copyOf(hosts);
    }

    public static IssuerRoute of(String trustDomain, BundlePublisher publisher, Set<String> hosts, IssuerResolver issuers,
            PathPrefix prefix, Optional<String> bundlePath) {
        return new IssuerRoute(trustDomain, publisher, hosts, issuers, prefix.value() + "/keys",
                prefix.value() + "/.well-known/openid-configuration", bundlePath.orElse(null));
    }
}
