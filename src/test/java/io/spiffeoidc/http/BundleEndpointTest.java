package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.nimbusds.jose.jwk.ECKey;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.SpiffeBundleReader;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.net.URL;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The SPIFFE bundle endpoint over real HTTP with the fake agent's JWT and X.509 streams: on for the
 * primary (/bundle), partner.example (/partner/bundle) and third.example (/third/bundle, whose X.509
 * authorities the agent never sends), off for other.example. The fake agent speaks java-spiffe's build
 * of the Workload API definition, so these are the field numbers a real agent uses. A test that changes what
 * the agent sends for the primary starts by putting the primary's entries back itself, so every test stands
 * alone, in any order.
 */
@QuarkusTest
@TestProfile(BundleEndpointTest.BundleEndpoints.class)
class BundleEndpointTest {

    static final String PARTNER = "spiffe://partner.example";
    static final String OTHER = "spiffe://other.example";
    static final String THIRD = "spiffe://third.example";

    public static class BundleEndpoints implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return FakeAgentResource.agentSource(
                    "spiffe-oidc.bundle-endpoint.path", "/bundle",
                    "spiffe-oidc.federated.\"partner.example\".path-prefix", "/partner",
                    "spiffe-oidc.federated.\"partner.example\".bundle-endpoint.path", "/partner/bundle",
                    "spiffe-oidc.federated.\"other.example\".path-prefix", "/other",
                    "spiffe-oidc.federated.\"third.example\".path-prefix", "/third",
                    "spiffe-oidc.federated.\"third.example\".bundle-endpoint.path", "/third/bundle");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeAgentResource.class, Map.of(
                    FakeAgentResource.FEDERATED, PARTNER + "," + OTHER + "," + THIRD,
                    FakeAgentResource.WITHOUT_X509, THIRD)));
        }
    }

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    /**
     * The primary's entries in the agent as at start: a fresh key under the first kid, a fresh CA under the
     * start's name, no CRLs, the X.509 stream working; waits until /keys and /bundle serve them.
     */
    private static void thePrimaryServesAFreshKeyAndAuthority() throws Exception {
        FakeAgentResource.command("/x509-fix", "");
        FakeAgentResource.command("/x509-crl", "");
        X509Certificate ca = TestPki.authority(FakeAgentResource.caName(FakeAgentResource.TRUST_DOMAIN));
        ECKey key = TestBundles.ec(FakeAgentResource.FIRST_KID);
        FakeAgentResource.command("/x509", TestPki.pem(ca));
        FakeAgentResource.command("/bundle?trust-domain=" + FakeAgentResource.TRUST_DOMAIN, TestBundles.jwks(key));
        String authority = Base64.getEncoder().encodeToString(TestPki.der(ca));
        Await.until("the primary's fresh key and authority served", () -> {
            Response keys = get("/keys");
            return keys.statusCode() == 200 && keys.jsonPath().getList("keys.x").equals(List.of(key.getX().toString()))
                    && get("/bundle").asString().contains(authority);
        });
    }

    @Test
    void theBundleHoldsTheAgentsAuthoritiesAndReadsBackWithJavaSpiffe() throws Exception {
        thePrimaryServesAFreshKeyAndAuthority();
        Response bundle = get("/bundle");
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", bundle.asByteArray());
        assertEquals(Set.of("CN=" + FakeAgentResource.caName(FakeAgentResource.TRUST_DOMAIN) + ",O=SPIFFE"), subjects(read));
        assertEquals(Set.of(FakeAgentResource.FIRST_KID), read.jwt().getJwtAuthorities().keySet());
        Response keys = get("/keys");
        assertEquals(keys.jsonPath().getString("keys[0].x"), bundle.jsonPath().getString("keys.find { it.use == 'jwt-svid' }.x"));
        assertEquals("application/json", bundle.contentType());
        assertEquals(keys.header("Cache-Control"), bundle.header("Cache-Control"), "the key set's caching rules");
        assertNotEquals(keys.header("ETag"), bundle.header("ETag"));
    }

    @Test
    void theBundleFollowsTheDocumentRules() {
        Await.until("the primary's bundle", () -> get("/bundle").statusCode() == 200);
        String etag = get("/bundle").header("ETag");
        given().header("Host", "localhost").header("If-None-Match", etag).get("/bundle").then().statusCode(304)
                .header("ETag", equalTo(etag));
        Response head = given().header("Host", "localhost").head("/bundle");
        assertEquals(200, head.statusCode());
        assertEquals(etag, head.header("ETag"));
        assertEquals(0, head.asByteArray().length);
        given().header("Host", "localhost").post("/bundle").then().statusCode(405).header("Allow", equalTo("GET, HEAD"))
                .body("error", equalTo("method not allowed"));
        given().header("Host", "unknown.example").get("/bundle").then().statusCode(400);
    }

    @Test
    void eachTrustDomainServesItsOwnBundleOnlyWhereConfigured() throws Exception {
        Await.until("partner's bundle", () -> get("/partner/bundle").statusCode() == 200);
        SpiffeBundleReader.Read partner = SpiffeBundleReader.read("partner.example", get("/partner/bundle").asByteArray());
        assertEquals(Set.of("CN=" + FakeAgentResource.caName(PARTNER) + ",O=SPIFFE"), subjects(partner));
        assertEquals(get("/partner/keys").jsonPath().getString("keys[0].x"),
                get("/partner/bundle").jsonPath().getString("keys.find { it.use == 'jwt-svid' }.x"));

        get("/other/keys").then().statusCode(200);
        get("/other/bundle").then().statusCode(404).body("error", equalTo("not found"));

        Await.until("third's keys", () -> get("/third/keys").statusCode() == 200);
        get("/third/bundle").then().statusCode(503).header("Retry-After", equalTo("5"))
                .body("error", equalTo("no X.509 authorities available yet"));
    }

    @Test
    void aNonCaOrGarbageAuthorityIsRefusedAndTheLastGoodBundleStays() throws Exception {
        thePrimaryServesAFreshKeyAndAuthority();
        String etag = get("/bundle").header("ETag");
        double notCaBefore = refusals("x509-authority-not-ca", "example.org");
        FakeAgentResource.command("/x509", TestPki.pem(TestPki.selfSignedLeaf("workload")));
        Await.until("the leaf refused", () -> refusals("x509-authority-not-ca", "example.org") == notCaBefore + 1);
        double garbageBefore = refusals("invalid-x509-authority", "example.org");
        FakeAgentResource.command("/x509-garbage", "");
        Await.until("the garbage refused", () -> refusals("invalid-x509-authority", "example.org") == garbageBefore + 1);
        assertEquals(etag, get("/bundle").header("ETag"), "the last good bundle stays served");
        assertEquals(200, get("/keys").statusCode());
        given().get(ready).then().statusCode(200);
    }

    @Test
    void aBrokenX509StreamLeavesTheJwtDocumentsWorkingAndRecovers() throws Exception {
        thePrimaryServesAFreshKeyAndAuthority();
        String bundleEtag = get("/bundle").header("ETag");
        FakeAgentResource.command("/x509-break", "");
        FakeAgentResource.command("/bundle?trust-domain=" + FakeAgentResource.TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("rotated-1")));
        Await.until("the rotation on /keys", () -> get("/keys").jsonPath().getList("keys.kid").equals(List.of("rotated-1")));
        Response bundle = get("/bundle");
        assertEquals(List.of("rotated-1"), bundle.jsonPath().getList("keys.findAll { it.use == 'jwt-svid' }.kid"));
        assertEquals(1, bundle.jsonPath().getList("keys.findAll { it.use == 'x509-svid' }").size(),
                "the last good X.509 authorities stay");
        assertNotEquals(bundleEtag, bundle.header("ETag"));
        given().get(ready).then().statusCode(200);

        X509Certificate next = TestPki.authority("example.org CA next");
        FakeAgentResource.command("/x509-fix", "");
        FakeAgentResource.command("/x509", TestPki.pem(next));
        Await.until("the X.509 stream back", () -> get("/bundle").asString().contains(
                Base64.getEncoder().encodeToString(TestPki.der(next))));
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", get("/bundle").asByteArray());
        assertEquals(Set.of(next), read.x509().getX509Authorities());
    }

    @Test
    void crlsBesideTheX509BundlesLeaveTheAuthoritiesServed() throws Exception {
        thePrimaryServesAFreshKeyAndAuthority();
        // A real agent's X509BundlesResponse has the CRLs at field 1 and the bundle map at 2; from here on every
        // message of the fake carries one, and the authorities pushed with it must reach /bundle.
        FakeAgentResource.command("/x509-crl", TestPki.pem(TestPki.crl("example.org CA next")));
        X509Certificate after = TestPki.authority("example.org CA after the CRL");
        FakeAgentResource.command("/x509", TestPki.pem(after));
        Await.until("the authorities pushed beside a CRL", () -> get("/bundle").asString().contains(
                Base64.getEncoder().encodeToString(TestPki.der(after))));
        assertEquals(Set.of(after), SpiffeBundleReader.read("example.org", get("/bundle").asByteArray()).x509().getX509Authorities());
        SpiffeBundleReader.Read partner = SpiffeBundleReader.read("partner.example", get("/partner/bundle").asByteArray());
        assertEquals(Set.of("CN=" + FakeAgentResource.caName(PARTNER) + ",O=SPIFFE"), subjects(partner));
        assertEquals(200, get("/keys").statusCode());
        given().get(ready).then().statusCode(200);
    }

    /** The refusals counted for one reason and trust domain. */
    private double refusals(String reason, String trustDomain) {
        String series = "spiffe_oidc_bundle_updates_refused_total{reason=\"" + reason + "\",trust_domain=\"" + trustDomain + "\"} ";
        return RestAssured.given().get(metrics).asString().lines().filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length()))).findFirst().orElse(0);
    }

    private static Set<String> subjects(SpiffeBundleReader.Read read) {
        return read.x509().getX509Authorities().stream().map(c -> c.getSubjectX500Principal().getName())
                .collect(Collectors.toSet());
    }

    private static Response get(String path) {
        return given().header("Host", "localhost").get(path);
    }
}
