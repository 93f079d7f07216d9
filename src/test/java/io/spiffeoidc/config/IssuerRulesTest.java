package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One set of rules for every issuer: each value refused for the primary is refused for a federated issuer
 * with the same line under that issuer's own property, and nothing else is reported.
 */
class IssuerRulesTest {

    private static final String PRIMARY = "spiffe-oidc.";
    private static final String FEDERATED = "spiffe-oidc.federated.\"p.example\".";

    /** A valid file-source configuration with one federated trust domain, plus the value under test. */
    private static List<String> problems(String prefix, String property, String value) {
        return ConfigProblemsTest.validate("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/a.json",
                "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains", "oidc.example.org",
                FEDERATED + "file.path", "/p.json", prefix + property, value).problems();
    }

    /** Each row: the property (after the issuer's prefix), a value for it, then the line it gives after that prefix. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "issuer               | http://p.example | issuer: \"http://p.example\" must be an https URL (http needs spiffe-oidc.allow-insecure-scheme=true)",
            "issuer               | https://p.example/?q | issuer: \"https://p.example/?q\" must be an absolute URL with a host and no query, fragment or user info",
            "jwks-uri             | keys             | jwks-uri: \"keys\" must be an https URL",
            "domains              | bücher.example   | domains: \"bücher.example\" must be written in punycode (xn--...)",
            "domains              | p.example:8443   | domains: \"p.example:8443\" is not a host name (no scheme, port or path)",
            "domains              | `p.example,a.example,P.example` | domains: \"p.example\" is listed more than once",
            "path-prefix          | p/../q           | path-prefix: \"p/../q\" must start with '/' and contain only plain path segments",
            "bundle-endpoint.path | bundle           | bundle-endpoint.path: \"bundle\" must start with '/' and contain only plain path segments",
    })
    void aValueRefusedForThePrimaryIsRefusedForAFederatedIssuerWithTheSameLine(String property, String value, String line) {
        for (String prefix : List.of(PRIMARY, FEDERATED)) {
            assertEquals(List.of(prefix + line), problems(prefix, property, value), prefix);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "spiffe-oidc.               | oidc.example.org",
            "spiffe-oidc.federated.\"p.example\". | p.example.org",
    })
    void theIssuersHostMustBeAmongItsDomains(String prefix, String domains) {
        List<String> problems = ConfigProblemsTest.validate("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/a.json",
                "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains", "oidc.example.org",
                FEDERATED + "file.path", "/p.json", FEDERATED + "domains", "p.example.org",
                prefix + "issuer", "https://elsewhere.example.org", prefix + "domains", domains).problems();
        assertEquals(List.of(prefix + "issuer: host \"elsewhere.example.org\" is not in " + prefix + "domains (" + domains
                + "); every request for it would be refused"), problems);
    }
}
