package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules for federated trust domains, on configuration mapped the way Quarkus maps it. */
class FederationProblemsTest {

    private static final String[] AGENT = {"spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
            "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.issuer", "https://oidc.example.org"};

    private static ConfigProblems.Validation validate(String... keyValues) {
        return ConfigProblemsTest.validate(ConfigProblemsTest.concat(AGENT, keyValues));
    }

    private static List<String> problems(String... keyValues) {
        return validate(keyValues).problems();
    }

    @Test
    void federatedTrustDomainsOnTheSameHostGetTheirOwnPathPrefixesByDefault() {
        ConfigProblems.Validation validation = validate("spiffe-oidc.federated.\"partner.example\".jwks-uri",
                "https://oidc.example.org/partner.example/keys", "spiffe-oidc.federated.\"third.example\".issuer",
                "https://oidc.example.org/third");
        assertEquals(List.of(), validation.problems());
        List<Issuer> issuers = validation.settings().orElseThrow().issuers();
        assertEquals(List.of("example.org", "partner.example", "third.example"), issuers.stream().map(Issuer::trustDomain).toList());
        assertEquals(List.of("", "/partner.example", "/third"), issuers.stream().map(i -> i.pathPrefix().value()).toList());
        assertEquals(java.util.Set.of("oidc.example.org"), issuers.get(1).hosts(), "the primary's host by default");
    }

    @Test
    void oneHostNameAndPathPrefixForTwoIssuersIsRefused() {
        List<String> problems = problems("spiffe-oidc.federated.\"partner.example\".path-prefix", "/");
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("spiffe-oidc.federated.\"partner.example\".path-prefix: host oidc.example.org with path prefix \"/\""
                + " already serves trust domain example.org; give each issuer its own host name or path prefix", problems.get(0));

        problems = problems("spiffe-oidc.federated.\"a.example\".domains", "shared.example",
                "spiffe-oidc.federated.\"a.example\".path-prefix", "/x",
                "spiffe-oidc.federated.\"b.example\".domains", "SHARED.example,b.example",
                "spiffe-oidc.federated.\"b.example\".path-prefix", "/x/");
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("spiffe-oidc.federated.\"b.example\".path-prefix: host shared.example"), problems.get(0));

        assertEquals(List.of(), problems("spiffe-oidc.federated.\"partner.example\".path-prefix", "/",
                "spiffe-oidc.federated.\"partner.example\".domains", "partner-oidc.example.org"), "own host, root path");
    }

    @Test
    void namesEachFederatedPropertyThatIsWrong() {
        assertEquals(List.of("spiffe-oidc.federated.\"Not A Name\": \"Not A Name\" is not a trust domain name"
                + " (lowercase letters, digits, '.', '-', '_'; optionally spiffe://)"),
                problems("spiffe-oidc.federated.\"Not A Name\".path-prefix", "/n"));
        assertEquals(List.of("spiffe-oidc.federated.\"example.org\": is the primary trust domain (spiffe-oidc.trust-domain) already"),
                problems("spiffe-oidc.federated.\"example.org\".path-prefix", "/again"));
        assertEquals(List.of("spiffe-oidc.federated.\"p.example\".issuer: \"http://p.example\" must be an https URL"
                + " (http needs spiffe-oidc.allow-insecure-scheme=true)"), problems("spiffe-oidc.federated.\"p.example\".issuer", "http://p.example"));
        assertEquals(List.of("spiffe-oidc.federated.\"p.example\".file.path: only used with spiffe-oidc.source=file; the"
                + " workload-api source delivers every trust domain's bundle"), problems("spiffe-oidc.federated.\"p.example\".file.path", "/b.json"));
        assertEquals(List.of("spiffe-oidc.federated.\"p.example\".path-prefix: \"p/../q\" must start with '/' and contain only"
                + " plain path segments"), problems("spiffe-oidc.federated.\"p.example\".path-prefix", "p/../q"));
    }

    @Test
    void theFileSourceNeedsOneFilePerTrustDomainAndAPrimaryName() {
        List<String> problems = ConfigProblemsTest.validate("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/a.json",
                "spiffe-oidc.domains", "localhost", "spiffe-oidc.federated.\"p.example\".path-prefix", "/p").problems();
        assertEquals(List.of("spiffe-oidc.trust-domain: required when spiffe-oidc.federated is set (names the primary"
                + " trust domain next to the federated ones)",
                "spiffe-oidc.federated.\"p.example\".file.path: required when spiffe-oidc.source=file (one bundle file per trust domain)"),
                problems);
    }

    /** The rule the primary always had: a federated issuer used to start, report ready and answer 400 on its own host. */
    @Test
    void aFederatedIssuerWhoseHostIsNotAmongItsDomainsIsRefused() {
        assertEquals(List.of("spiffe-oidc.federated.\"p.example\".issuer: host \"oidc.p.example\" is not in"
                + " spiffe-oidc.federated.\"p.example\".domains (other.p.example); every request for it would be refused"),
                problems("spiffe-oidc.federated.\"p.example\".issuer", "https://oidc.p.example",
                        "spiffe-oidc.federated.\"p.example\".domains", "other.p.example"));
    }

    @Test
    void aDomainListedTwiceForAFederatedIssuerIsRefused() {
        assertEquals(List.of("spiffe-oidc.federated.\"p.example\".domains: \"oidc.p.example\" is listed more than once"),
                problems("spiffe-oidc.federated.\"p.example\".domains", "oidc.p.example,other.p.example,OIDC.p.example"));
    }

    @Test
    void oneTrustDomainUnderTwoNamesIsRefused() {
        assertEquals(List.of("spiffe-oidc.federated.\"spiffe://p.example\": is trust domain p.example of"
                + " spiffe-oidc.federated.\"p.example\" already"),
                problems("spiffe-oidc.federated.\"p.example\".path-prefix", "/p",
                        "spiffe-oidc.federated.\"spiffe://p.example\".path-prefix", "/q"));
    }
}
