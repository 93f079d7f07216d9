package io.spiffeoidc.config;

import java.util.Optional;
import java.util.regex.Pattern;

/** A SPIFFE trust domain name, accepted bare (example.org) or as a SPIFFE ID (spiffe://example.org). */
public record TrustDomain(String name) {

    // SPIFFE ID spec: lowercase letters, digits, dots, dashes and underscores.
    private static final Pattern NAME = Pattern.compile("[a-z0-9._-]{1,255}");

    public static Optional<TrustDomain> parse(String value) {
        String name = value.startsWith("spiffe://") ? value.substring("spiffe://".length()) : value;
        if (!NAME.matcher(name).matches() || name.startsWith(".") || name.endsWith(".")) {
            return Optional.empty();
        }
        return Optional.of(new TrustDomain(name));
    }

    /** The key of this trust domain in a Workload API bundle map. */
    public String spiffeId() {
        return "spiffe://" + name;
    }
}
