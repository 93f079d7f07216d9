package io.spiffeoidc.http;

import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.PathPrefix;
import java.util.Optional;
import java.util.Set;

/**
 * Where one trust domain's issuer is served and what it advertises: its host names (lower case), its two
 * paths, the path of its SPIFFE bundle (null when that endpoint is off) and the view of the trust domain
 * whose snapshot those paths answer with.
 */
public record IssuerRoute(String trustDomain, PublishedView view, Set<String> hosts, IssuerResolver issuers,
        String keysPath, String discoveryPath, String bundlePath) {

    public IssuerRoute {
        hosts = Set.copyOf(hosts);
    }

    public static IssuerRoute of(String trustDomain, PublishedView view, Set<String> hosts, IssuerResolver issuers,
            PathPrefix prefix, Optional<String> bundlePath) {
        return new IssuerRoute(trustDomain, view, hosts, issuers, prefix.value() + "/keys",
                prefix.value() + "/.well-known/openid-configuration", bundlePath.orElse(null));
    }
}
