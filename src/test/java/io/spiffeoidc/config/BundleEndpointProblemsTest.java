package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The rules for SPIFFE bundle endpoint paths, on configuration mapped the way Quarkus maps it. */
class BundleEndpointProblemsTest {

    private static final String[] AGENT = {"spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
            "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.issuer", "https://oidc.example.org"};

    private static ConfigProblems.Validation validate(String... keyValues) {
        return ConfigProblemsTest.validate(ConfigProblemsTest.concat(AGENT, keyValues));
    }

    private static List<String> problems(String... keyValues) {
        return validate(keyValues).problems();
    }

    private static List<Issuer> issuers(String... keyValues) {
        ConfigProblems.Validation validation = validate(keyValues);
        assertEquals(List.of(), validation.problems());
        return validation.settings().orElseThrow().issuers();
    }

    @Test
    void offUnlessConfiguredAndOnWhereConfigured() {
        List<Issuer> issuers = issuers("spiffe-oidc.federated.\"partner.example\".bundle-endpoint.path", "/partner/bundle/");
        assertEquals(Optional.empty(), issuers.get(0).bundleEndpointPath());
        assertEquals(Optional.of("/partner/bundle"), issuers.get(1).bundleEndpointPath(), "normalised like a path prefix");
        assertEquals(Optional.of("/"), issuers("spiffe-oidc.bundle-endpoint.path", "/").get(0).bundleEndpointPath(),
                "the root, where SPIRE's own bundle endpoint answers");
    }

    @Test
    void aPathThatIsNotAbsoluteOrPlainIsRefused() {
        for (String path : List.of("bundle", "/a/../bundle", "/bundle?x=1", "https://oidc.example.org/bundle")) {
            assertEquals(List.of("spiffe-oidc.bundle-endpoint.path: \"" + path
                    + "\" must start with '/' and contain only plain path segments"),
                    problems("spiffe-oidc.bundle-endpoint.path", path), path);
        }
    }

    @Test
    void aPathOfAnOidcDocumentIsRefused() {
        assertEquals(List.of("spiffe-oidc.bundle-endpoint.path: \"/keys\" is already an OIDC document path of trust domain"
                + " example.org on host oidc.example.org; give the bundle endpoint a path of its own"),
                problems("spiffe-oidc.bundle-endpoint.path", "/keys"));
        assertEquals(List.of("spiffe-oidc.bundle-endpoint.path: \"/partner.example/.well-known/openid-configuration\" is already"
                + " an OIDC document path of trust domain partner.example on host oidc.example.org; give the bundle endpoint a"
                + " path of its own"),
                problems("spiffe-oidc.bundle-endpoint.path", "/partner.example/.well-known/openid-configuration",
                        "spiffe-oidc.federated.\"partner.example\".jwks-uri", "https://oidc.example.org/partner.example/keys"));
    }

    /**
     * The request's issuer and document are decided once, from the exact configured paths, so a bundle path
     * may end like a document path as long as no issuer serves a document there.
     */
    @Test
    void aPathEndingLikeAnOidcDocumentIsAcceptedWhereNoIssuerServesIt() {
        for (String path : List.of("/other/keys", "/b/.well-known/openid-configuration")) {
            assertEquals(List.of(), problems("spiffe-oidc.bundle-endpoint.path", path), path);
        }
    }

    @Test
    void anotherIssuersBundlePathOnASharedHostIsRefusedButNotOnItsOwnHost() {
        assertEquals(List.of("spiffe-oidc.federated.\"partner.example\".bundle-endpoint.path: \"/bundle\" is already the SPIFFE"
                + " bundle endpoint of trust domain example.org on host oidc.example.org; give the bundle endpoint a path of its own"),
                problems("spiffe-oidc.bundle-endpoint.path", "/bundle",
                        "spiffe-oidc.federated.\"partner.example\".bundle-endpoint.path", "/bundle"));
        assertEquals(List.of(), problems("spiffe-oidc.bundle-endpoint.path", "/bundle",
                "spiffe-oidc.federated.\"partner.example\".issuer", "https://partner.example.org",
                "spiffe-oidc.federated.\"partner.example\".path-prefix", "/",
                "spiffe-oidc.federated.\"partner.example\".bundle-endpoint.path", "/bundle"));
    }
}
