package io.spiffeoidc.config;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * What the key sources read of an issuer: which trust domain it publishes, where that trust domain's file
 * is and whether its bundle endpoint needs X.509 authorities. {@link Issuer} is the one implementation.
 */
public interface IssuerSettings {

    /** The trust domain name; empty only for a primary without spiffe-oidc.trust-domain. */
    String trustDomain();

    /** The property prefix the issuer is configured under, for log lines that name a property. */
    String property();

    Set<String> hosts();

    Optional<Path> file();

    Optional<String> bundleEndpointPath();

    /** The SPIFFE ID of the trust domain, the key of its bundle in a Workload API bundle map. */
    default String spiffeId() {
        return "spiffe://" + trustDomain();
    }
}
