package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestBundles;
import java.net.URL;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three trust domains from one agent stream: the primary at the root of localhost, partner.example under
 * /partner on the same host, other.example at the root of its own host. Every trust domain publishes a
 * key under the same kid, each a different key.
 */
@QuarkusTest
@TestProfile(FederatedIssuersTest.ThreeTrustDomains.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FederatedIssuersTest {

    static final String PARTNER = "spiffe://partner.example";
    static final String OTHER = "spiffe://other.example";

    public static class ThreeTrustDomains implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "spiffe-oidc.source", "workload-api",
                    "spiffe-oidc.trust-domain", "example.org",
                    "spiffe-oidc.domains", "localhost",
                    "spiffe-oidc.federated.\"partner.example\".path-prefix", "/partner",
                    "spiffe-oidc.federated.\"other.example\".issuer", "https://other.example.test",
                    "spiffe-oidc.federated.\"other.example\".path-prefix", "/",
                    "spiffe-oidc.missing-trust-domain-grace-period", "2S");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeAgentResource.class,
                    Map.of(FakeAgentResource.FEDERATED, PARTNER + "," + OTHER)));
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @Test
    @Order(1)
    void eachIssuerServesItsOwnKeysUnderTheSameKid() {
        Await.until("three key sets", () -> keys("localhost", "/keys").statusCode() == 200
                && keys("localhost", "/partner/keys").statusCode() == 200
                && keys("other.example.test", "/keys").statusCode() == 200);
        Response primary = keys("localhost", "/keys");
        Response partner = keys("localhost", "/partner/keys");
        Response other = keys("other.example.test", "/keys");
        for (Response response : List.of(primary, partner, other)) {
            assertEquals(List.of(FakeAgentResource.FIRST_KID), response.jsonPath().getList("keys.kid"));
        }
        assertNotEquals(primary.jsonPath().getString("keys[0].x"), partner.jsonPath().getString("keys[0].x"));
        assertNotEquals(partner.jsonPath().getString("keys[0].x"), other.jsonPath().getString("keys[0].x"));
        assertNotEquals(primary.header("ETag"), partner.header("ETag"));
        assertNotEquals(partner.header("ETag"), other.header("ETag"));

        given().header("Host", "localhost").get("/partner/.well-known/openid-configuration").then().statusCode(200)
                .body("issuer", equalTo("http://localhost/partner"))
                .body("jwks_uri", equalTo("http://localhost/partner/keys"));
        given().header("Host", "localhost").get("/.well-known/openid-configuration").then().statusCode(200)
                .body("issuer", equalTo("http://localhost"));
        given().header("Host", "other.example.test").get("/.well-known/openid-configuration").then().statusCode(200)
                .body("issuer", equalTo("https://other.example.test"));
    }

    @Test
    @Order(2)
    void aHostAndPathOfOneIssuerNeverAnswersWithAnother() {
        // other.example.test serves only its own issuer: the partner's path is not there.
        given().header("Host", "other.example.test").get("/partner/keys").then().statusCode(404)
                .body("error", equalTo("not found"));
        given().header("Host", "unknown.example").get("/partner/keys").then().statusCode(400);
    }

    @Test
    @Order(3)
    void readinessAndMetricsHaveOneEntryPerTrustDomain() {
        given().get(ready).then().statusCode(200)
                .body("checks.find { it.name == 'trust-bundle' }.data.trustDomain", equalTo("example.org"))
                .body("checks.find { it.name == 'trust-bundle partner.example' }.data.keyIds", equalTo(FakeAgentResource.FIRST_KID))
                .body("checks.find { it.name == 'trust-bundle other.example' }.status", equalTo("UP"));
        String text = RestAssured.given().get(metrics).asString();
        for (String td : List.of("example.org", "partner.example", "other.example")) {
            assertTrue(text.contains("spiffe_oidc_keys_served{trust_domain=\"" + td + "\"} 1.0"), text);
            assertTrue(text.contains("spiffe_oidc_keys_over_threshold{trust_domain=\"" + td + "\"} 0.0"), text);
            assertTrue(text.contains("spiffe_oidc_cache_max_age_seconds{trust_domain=\"" + td + "\"}"), text);
        }
        // One series per trust domain: a meter without the label would hold only the first one registered.
        List<String> unlabelled = text.lines().filter(line -> line.startsWith("spiffe_oidc_") && !line.contains("trust_domain=\""))
                .toList();
        assertEquals(List.of(), unlabelled);
    }

    @Test
    @Order(4)
    void aRotationOrABrokenEntryOfOneTrustDomainTouchesNoOther() throws Exception {
        String otherEtag = keys("other.example.test", "/keys").header("ETag");
        FakeAgentResource.command("/bundle?trust-domain=" + PARTNER, TestBundles.jwks(TestBundles.ec("partner-2")));
        Await.until("partner rotated", () -> keys("localhost", "/partner/keys").jsonPath().getList("keys.kid")
                .equals(List.of("partner-2")));
        FakeAgentResource.command("/garbage?trust-domain=" + OTHER, "");
        Await.until("the broken entry refused", () -> RestAssured.given().get(metrics).asString()
                .contains("spiffe_oidc_bundle_updates_refused_total{reason=\"invalid-json\",trust_domain=\"other.example\"} 1.0"));
        assertEquals(otherEtag, keys("other.example.test", "/keys").header("ETag"), "the last good keys stay served");
        assertEquals(List.of(FakeAgentResource.FIRST_KID), keys("localhost", "/keys").jsonPath().getList("keys.kid"));
    }

    @Test
    @Order(5)
    void aTrustDomainGoneFromTheMapIsServedThroughTheGracePeriodThen503() throws Exception {
        FakeAgentResource.command("/remove?trust-domain=" + PARTNER, "");
        Await.until("the absence reported", () -> given().get(ready).jsonPath()
                .get("checks.find { it.name == 'trust-bundle partner.example' }.data.missingFromSourceSeconds") != null);
        Await.until("partner withdrawn after its grace period", () -> keys("localhost", "/partner/keys").statusCode() == 503);
        given().header("Host", "localhost").get("/partner/.well-known/openid-configuration").then().statusCode(503)
                .body("error", containsString("no longer delivered"));
        given().get(ready).then().statusCode(200);
        assertEquals(200, keys("localhost", "/keys").statusCode(), "the primary keeps serving");
        assertEquals(200, keys("other.example.test", "/keys").statusCode());

        FakeAgentResource.command("/bundle?trust-domain=" + PARTNER, TestBundles.jwks(TestBundles.ec("partner-3")));
        Await.until("partner back", () -> keys("localhost", "/partner/keys").statusCode() == 200);
    }

    private static Response keys(String host, String path) {
        return given().header("Host", host).get(path);
    }
}
