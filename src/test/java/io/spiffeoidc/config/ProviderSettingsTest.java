package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The validated settings: typed values out of valid configuration, nothing out of invalid configuration. */
class ProviderSettingsTest {

    private static ProviderSettings settings(String... keyValues) {
        ConfigProblems.Validation validation = ConfigProblemsTest.validate(keyValues);
        assertEquals(List.of(), validation.problems());
        return validation.settings().orElseThrow();
    }

    private static List<String> problems(String... keyValues) {
        ConfigProblems.Validation validation = ConfigProblemsTest.validate(keyValues);
        assertTrue(validation.settings().isEmpty(), "no settings from an invalid configuration");
        return validation.problems();
    }

    @Test
    void theWorkloadApiSourceCarriesItsSocketAndTrustDomain() {
        ProviderSettings settings = settings("spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
                "spiffe-oidc.trust-domain", "spiffe://example.org", "spiffe-oidc.issuer", "https://OIDC.example.org/td");
        assertEquals(new SourceSettings.WorkloadApi(Path.of("/run/spire/agent.sock"), new TrustDomain("example.org")),
                settings.source());
        assertEquals("example.org", settings.primary().trustDomain());
        assertEquals("https://OIDC.example.org/td", settings.primary().issuer().orElseThrow().text(), "the issuer stays verbatim");
        assertEquals(Set.of("oidc.example.org"), settings.primary().hosts(), "without domains, the issuer's host");
        assertEquals(Duration.ofMinutes(3), settings.stalenessThreshold());
        assertEquals(PathPrefix.ROOT, settings.primary().pathPrefix());
        assertTrue(settings.markSignatureUse());
    }

    @Test
    void theFileAndServerSourcesCarryTheirPollIntervals() {
        ProviderSettings file = settings("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/etc/bundle.json",
                "spiffe-oidc.file.poll-interval", "1m", "spiffe-oidc.domains", "A.example.org,b.example.org",
                "spiffe-oidc.path-prefix", "/oidc/", "spiffe-oidc.key-use", "none");
        assertEquals(new SourceSettings.File(Path.of("/etc/bundle.json"), Duration.ofMinutes(1)), file.source());
        assertEquals(Set.of("a.example.org", "b.example.org"), file.primary().hosts());
        assertEquals("/oidc", file.primary().pathPrefix().value());
        assertEquals(Duration.ofMinutes(5), file.stalenessThreshold(), "five polls");
        assertEquals(false, file.markSignatureUse());

        ProviderSettings server = settings("spiffe-oidc.source", "server-api", "spiffe-oidc.server-api.socket",
                "/run/spire/server/api.sock", "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains", "a.example.org",
                "spiffe-oidc.staleness-threshold", "90s");
        assertEquals(new SourceSettings.ServerApi(Path.of("/run/spire/server/api.sock"), new TrustDomain("example.org"),
                Duration.ofSeconds(10)), server.source());
        assertEquals(Duration.ofSeconds(90), server.stalenessThreshold());
    }

    @Test
    void aJwksUriOnAnotherHostIsAllowed() {
        ProviderSettings settings = settings("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json",
                "spiffe-oidc.issuer", "https://oidc.example.org", "spiffe-oidc.domains", "oidc.example.org",
                "spiffe-oidc.jwks-uri", "https://keys.example.net/keys");
        assertEquals("keys.example.net", settings.primary().jwksUri().orElseThrow().host());
    }

    @Test
    void refusesWhatUsedToPassUntilABeanUsedIt() {
        String[] base = {"spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json"};
        // The reason and index are the JDK's own, and JDK releases word and count them differently.
        URISyntaxException jdk = assertThrows(URISyntaxException.class, () -> new URI("https://exa mple.com"));
        assertEquals(List.of("spiffe-oidc.issuer: \"https://exa mple.com\" is not a URL (" + jdk.getReason() + " at index "
                + jdk.getIndex() + ")"),
                problems(ConfigProblemsTest.concat(base, "spiffe-oidc.issuer", "https://exa mple.com")));
        assertEquals(List.of("spiffe-oidc.issuer: host \"oidc.example.com\" is not in spiffe-oidc.domains (other.example.com);"
                + " every request for it would be refused"), problems(
                        ConfigProblemsTest.concat(base, "spiffe-oidc.issuer",
                                "https://oidc.example.com", "spiffe-oidc.domains", "other.example.com")));
        assertEquals(List.of("spiffe-oidc.domains: \"a.example.org\" is listed more than once"),
                problems(ConfigProblemsTest.concat(base, "spiffe-oidc.domains", "a.example.org,b.example.org,A.Example.org")));
        assertEquals(List.of("spiffe-oidc.jwks-uri: \"https://keys.example.org/a b\" is not a URL"
                + " (Illegal character in path at index 26)"), problems(
                        ConfigProblemsTest.concat(base, "spiffe-oidc.domains", "a.example.org",
                                "spiffe-oidc.jwks-uri", "https://keys.example.org/a b")));
    }

    @Test
    void theIssuerHostIsComparedWithoutCase() {
        ProviderSettings settings = settings("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json",
                "spiffe-oidc.issuer", "https://OIDC.Example.org", "spiffe-oidc.domains", "oidc.example.ORG");
        assertEquals(Set.of("oidc.example.org"), settings.primary().hosts());
    }
}
