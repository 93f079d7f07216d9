package io.spiffeoidc.http;

import java.util.Optional;

/**
 * The issuer and jwks_uri a response advertises. Configured values are used verbatim: verifiers compare
 * the issuer byte for byte with the tokens' "iss". Otherwise both derive from the admitted host.
 */
public final class IssuerResolver {

    private final Optional<String> issuer;
    private final Optional<String> jwksUri;
    private final String prefix;

    /** @param prefix the normalised path prefix: "" for the root, else "/a[/b...]" */
    public IssuerResolver(Optional<String> issuer, Optional<String> jwksUri, String prefix) {
        this.issuer = issuer;
        this.jwksUri = jwksUri;
        this.prefix = prefix;
    }

    public String issuer(String scheme, String authority) {
        return issuer.orElseGet(() -> scheme + "://" + authority + prefix);
    }

    public String jwksUri(String scheme, String authority) {
        return jwksUri.orElseGet(() -> scheme + "://" + authority + prefix + "/keys");
    }
}
