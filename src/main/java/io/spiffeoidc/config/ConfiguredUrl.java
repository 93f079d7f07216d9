package io.spiffeoidc.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * An issuer or jwks_uri as configured. The text is kept verbatim because verifiers compare the issuer
 * byte for byte with the tokens' "iss"; the host is what the host check must admit for it, its port (-1
 * when it names none) one the service is reached on, and the path ("/" when it has none) where relying
 * parties look for an issuer's discovery document.
 */
public record ConfiguredUrl(String text, String host, int port, String path) {

    /** The URL, or a problem naming the property; http only when insecure schemes are allowed. */
    static Parsed parse(String property, String value, boolean insecureAllowed) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            return Parsed.problem(property + ": \"" + value + "\" is not a URL (" + e.getReason() + " at index "
                    + e.getIndex() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && insecureAllowed)) {
            return Parsed.problem(property + ": \"" + value + "\" must be an https URL"
                    + (scheme.equals("http") ? " (http needs spiffe-oidc.allow-insecure-scheme=true)" : ""));
        }
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            return Parsed.problem(property + ": \"" + value
                    + "\" must be an absolute URL with a host and no query, fragment or user info");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (!HostName.isValid(host)) {
            return Parsed.problem(property + ": \"" + value + "\" does not name a valid host");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return new Parsed(new ConfiguredUrl(value, host, uri.getPort(), path), null);
    }

    record Parsed(ConfiguredUrl url, String problem) {

        static Parsed problem(String problem) {
            return new Parsed(null, problem);
        }
    }
}
