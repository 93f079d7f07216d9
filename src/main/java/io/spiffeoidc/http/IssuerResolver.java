package io.spiffeoidc.http;

import io.spiffeoidc.config.ConfiguredUrl;
import io.spiffeoidc.config.PathPrefix;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The issuer and jwks_uri a response advertises. Configured values are used verbatim: verifiers compare
 * the issuer byte for byte with the tokens' "iss". Otherwise both derive from the admitted host.
 */
public final class IssuerResolver {

    /**
     * Derived values per scheme and admitted authority, so a request builds no strings. {@link HostPolicy}
     * admits finitely many authorities (allowed hosts with listed ports, the listeners' own), so this holds
     * at most those; the bound is a backstop, past which the values are built per request.
     */
    private static final int MAX_REMEMBERED = 64;

    private final Optional<String> issuer;
    private final Optional<String> jwksUri;
    private final String prefix;
    private final ConcurrentHashMap<String, Derived> https = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Derived> http = new ConcurrentHashMap<>();

    public IssuerResolver(Optional<ConfiguredUrl> issuer, Optional<ConfiguredUrl> jwksUri, PathPrefix prefix) {
        this.issuer = issuer.map(ConfiguredUrl::text);
        this.jwksUri = jwksUri.map(ConfiguredUrl::text);
        this.prefix = prefix.value();
    }

    /** Whether the issuer or jwks_uri comes from the request rather than the configuration. */
    public boolean derivesFromRequest() {
        return issuer.isEmpty() || jwksUri.isEmpty();
    }

    public String issuer(String scheme, String authority) {
        return issuer.isPresent() ? issuer.get() : derived(scheme, authority).issuer();
    }

    public String jwksUri(String scheme, String authority) {
        return jwksUri.isPresent() ? jwksUri.get() : derived(scheme, authority).jwksUri();
    }

    private Derived derived(String scheme, String authority) {
        Map<String, Derived> remembered = "https".equals(scheme) ? https : "http".equals(scheme) ? http : null;
        Derived known = remembered == null ? null : remembered.get(authority);
        if (known != null) {
            return known;
        }
        String base = scheme + "://" + authority + prefix;
        Derived fresh = new Derived(base, base + "/keys");
        if (remembered != null && remembered.size() < MAX_REMEMBERED) {
            remembered.putIfAbsent(authority, fresh);
        }
        return fresh;
    }

    private record Derived(String issuer, String jwksUri) {
    }
}
