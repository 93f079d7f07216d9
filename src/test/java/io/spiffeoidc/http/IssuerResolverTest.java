package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.spiffeoidc.config.ConfiguredUrl;
import io.spiffeoidc.config.PathPrefix;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IssuerResolverTest {

    private final IssuerResolver derived = new IssuerResolver(Optional.empty(), Optional.empty(), new PathPrefix("/td"));

    @Test
    void derivedValuesFollowSchemeAndAuthority() {
        assertEquals("https://oidc.example.test/td", derived.issuer("https", "oidc.example.test"));
        assertEquals("https://oidc.example.test/td/keys", derived.jwksUri("https", "oidc.example.test"));
        assertEquals("http://oidc.example.test:8080/td", derived.issuer("http", "oidc.example.test:8080"));
        assertEquals("http://oidc.example.test:8080/td/keys", derived.jwksUri("http", "oidc.example.test:8080"));
        // The same authority over the other scheme is another issuer.
        assertEquals("https://oidc.example.test:8080/td", derived.issuer("https", "oidc.example.test:8080"));
    }

    @Test
    void aHostSeenBeforeGetsTheSameStringsBack() {
        String issuer = derived.issuer("https", "oidc.example.test");
        assertSame(issuer, derived.issuer("https", new String("oidc.example.test")));
        assertSame(derived.jwksUri("https", "oidc.example.test"), derived.jwksUri("https", "oidc.example.test"));
    }

    @Test
    void pastTheBoundOfRememberedHostsEveryValueIsStillRight() {
        for (int port = 1; port <= 200; port++) {
            assertEquals("https://oidc.example.test:" + port + "/td/keys", derived.jwksUri("https", "oidc.example.test:" + port));
            assertEquals("https://oidc.example.test:" + port + "/td", derived.issuer("https", "oidc.example.test:" + port));
        }
    }

    @Test
    void configuredValuesAreUsedVerbatim() {
        IssuerResolver configured = new IssuerResolver(Optional.of(new ConfiguredUrl("https://issuer.example.test", "issuer.example.test", -1, "/")),
                Optional.of(new ConfiguredUrl("https://keys.example.test/jwks", "keys.example.test", -1, "/jwks")), PathPrefix.ROOT);
        assertEquals("https://issuer.example.test", configured.issuer("http", "other.example.test"));
        assertEquals("https://keys.example.test/jwks", configured.jwksUri("https", "other.example.test"));
    }
}
