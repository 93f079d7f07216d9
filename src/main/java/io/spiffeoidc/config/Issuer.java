package io.spiffeoidc.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One published trust domain as an issuer, after every rule of {@link IssuerRules}: the primary from the
 * top-level properties, each federated one from spiffe-oidc.federated."name".*, parsed the same way, so
 * the rest of the service handles every issuer alike and never parses one of its values again.
 *
 * @param trustDomain        the trust domain name; empty only for a primary without spiffe-oidc.trust-domain
 * @param property           the property prefix this issuer is configured under, e.g. spiffe-oidc.federated."b".
 * @param issuer             used verbatim when present; otherwise derived from each request
 * @param jwksUri            used verbatim when present; otherwise derived from each request
 * @param hosts              the host names this issuer answers for: valid, in lower case, never empty
 * @param pathPrefix         where its two documents are served
 * @param bundleEndpointPath the SPIFFE bundle endpoint's normalised path ("/" for the root); empty when it is off
 * @param file               this trust domain's bundle file (federated trust domains with the file source)
 */
public record Issuer(String trustDomain, String property, Optional<ConfiguredUrl> issuer, Optional<ConfiguredUrl> jwksUri,
        Set<String> hosts, PathPrefix pathPrefix, Optional<String> bundleEndpointPath, Optional<Path> file) {

    public Issuer {
        // In the configured order, so that problems and log lines name them as the operator wrote them.
        hosts = Collections.unmodifiableSet(new LinkedHashSet<>(hosts));
    }

    public boolean primary() {
        return property.equals(IssuerRules.PRIMARY);
    }

    /** The SPIFFE ID of the trust domain, the key of its bundle in a Workload API bundle map. */
    public String spiffeId() {
        return "spiffe://" + trustDomain;
    }

    /** The JWKS and discovery paths. */
    public List<String> documentPaths() {
        return List.of(pathPrefix.value() + "/keys", pathPrefix.value() + "/.well-known/openid-configuration");
    }
}
