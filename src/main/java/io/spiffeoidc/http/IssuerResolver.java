package io.spiffeoidc.http;

import io.spiffeoidc.config.ConfiguredUrl;
import io.spiffeoidc.config.PathPrefix;
import java.util.Optional;

/**
 * The issuer and jwks_uri a response advertises. Configured values are used verbatim: verifiers compare
 * the issuer byte for byte with the tokens' "iss". Otherwise both derive from the admitted host.
 */
public final class IssuerResolver {

    private final Optional<String> issuer;
    private final Optional<String> jwksUri;
    private final String prefix;

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
        return issuer.orElseGet(() -> scheme + "://" + authority + prefix);
    }

    public String jwksUri(String scheme, String authority) {
        return jwksUri.orElseGet(() -> scheme + "://" + authority + prefix + "/keys");
    }
}
