package io.spiffeoidc.source;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestBundles;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The file source with federation: each federated trust domain is read from a file of its own, by a source of its own. */
@QuarkusTest
@TestProfile(FederatedFilesTest.OneFilePerTrustDomain.class)
class FederatedFilesTest {

    static final Path PRIMARY = Path.of("target/test-bundles/federated-primary.json");
    static final Path PARTNER = Path.of("target/test-bundles/federated-partner.json");

    public static class OneFilePerTrustDomain implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "spiffe-oidc.trust-domain", "example.org",
                    "spiffe-oidc.file.path", PRIMARY.toString(),
                    "spiffe-oidc.federated.\"partner.example\".file.path", PARTNER.toString());
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void eachTrustDomainIsServedFromItsOwnFileAndARotationOfOneTouchesNoOther() {
        TestBundles.writeAtomically(PRIMARY, TestBundles.jwks(TestBundles.ec("primary-1")));
        TestBundles.writeAtomically(PARTNER, TestBundles.jwks(TestBundles.ec("partner-1")));
        Await.until("both files served", () -> kids("/keys").equals(List.of("primary-1"))
                && kids("/partner.example/keys").equals(List.of("partner-1")));
        String primaryEtag = given().get("/keys").header("ETag");

        TestBundles.writeAtomically(PARTNER, TestBundles.jwks(TestBundles.ec("partner-2")));
        Await.until("the partner's rotation", () -> kids("/partner.example/keys").equals(List.of("partner-2")));
        assertEquals(primaryEtag, given().get("/keys").header("ETag"));
        String text = RestAssured.given().get(metrics).asString();
        for (String trustDomain : List.of("example.org", "partner.example")) {
            assertTrue(text.contains("spiffe_oidc_source_up{source=\"file\",trust_domain=\"" + trustDomain + "\"} 1.0"), text);
        }
    }

    private static List<String> kids(String path) {
        var response = given().get(path);
        return response.statusCode() == 200 ? response.jsonPath().getList("keys.kid") : List.of();
    }
}
