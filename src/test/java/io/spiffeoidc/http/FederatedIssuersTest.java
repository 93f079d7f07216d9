package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Three trust domains from one agent stream: the primary at the root of localhost, partner.example under
 * /partner on the same host, other.example at the root of its own host. Every trust domain publishes a
 * key under the same kid, each a different key: a test that rotates, breaks or removes an entry starts by
 * putting that state back in the agent itself, so every test stands alone, in any order.
 */
@QuarkusTest
@TestProfile(FederatedIssuersTest.ThreeTrustDomains.class)
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

    /**
     * Every trust domain's entry in the agent's map holds a fresh key under the kid the agent starts with, as at
     * start, and waits until each issuer serves its own.
     */
    private static void everyTrustDomainServesAFreshFirstKey() throws Exception {
        Map<String, String> xOf = new LinkedHashMap<>();
        for (String trustDomain : List.of(FakeAgentResource.TRUST_DOMAIN, PARTNER, OTHER)) {
            ECKey key = TestBundles.ec(FakeAgentResource.FIRST_KID);
            FakeAgentResource.command("/bundle?trust-domain=" + trustDomain, TestBundles.jwks(key));
            xOf.put(trustDomain, key.getX().toString());
        }
        Await.until("each issuer serving its fresh key", () -> servesOnly("localhost", "/keys", xOf.get(FakeAgentResource.TRUST_DOMAIN))
                && servesOnly("localhost", "/partner/keys", xOf.get(PARTNER))
                && servesOnly("other.example.test", "/keys", xOf.get(OTHER)));
    }

    private static boolean servesOnly(String host, String path, String x) {
        Response response = keys(host, path);
        return response.statusCode() == 200 && response.jsonPath().getList("keys.x").equals(List.of(x));
    }

    /** The refusals counted for one reason and trust domain. */
    private double refusals(String reason, String trustDomain) {
        String series = "spiffe_oidc_bundle_updates_refused_total{reason=\"" + reason + "\",trust_domain=\"" + trustDomain + "\"} ";
        return RestAssured.given().get(metrics).asString().lines().filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length()))).findFirst().orElse(0);
    }

    @Test
    void eachIssuerServesItsOwnKeysUnderTheSameKid() throws Exception {
        everyTrustDomainServesAFreshFirstKey();
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
    void aHostAndPathOfOneIssuerNeverAnswersWithAnother() {
        // other.example.test serves only its own issuer: the partner's path is not there.
        given().header("Host", "other.example.test").get("/partner/keys").then().statusCode(404)
                .body("error", equalTo("not found"));
        given().header("Host", "unknown.example").get("/partner/keys").then().statusCode(400);
    }

    @Test
    void readinessAndMetricsHaveOneEntryPerTrustDomain() throws Exception {
        everyTrustDomainServesAFreshFirstKey();
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
    void aRotationOrABrokenEntryOfOneTrustDomainTouchesNoOther() throws Exception {
        everyTrustDomainServesAFreshFirstKey();
        String otherEtag = keys("other.example.test", "/keys").header("ETag");
        FakeAgentResource.command("/bundle?trust-domain=" + PARTNER, TestBundles.jwks(TestBundles.ec("partner-2")));
        Await.until("partner rotated", () -> keys("localhost", "/partner/keys").jsonPath().getList("keys.kid")
                .equals(List.of("partner-2")));
        double refusedBefore = refusals("invalid-json", "other.example");
        FakeAgentResource.command("/garbage?trust-domain=" + OTHER, "");
        Await.until("the broken entry refused", () -> refusals("invalid-json", "other.example") == refusedBefore + 1);
        assertEquals(otherEtag, keys("other.example.test", "/keys").header("ETag"), "the last good keys stay served");
        assertEquals(List.of(FakeAgentResource.FIRST_KID), keys("localhost", "/keys").jsonPath().getList("keys.kid"));
    }

    @Test
    void aTrustDomainGoneFromTheMapIsServedThroughTheGracePeriodThen503() throws Exception {
        everyTrustDomainServesAFreshFirstKey();
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
