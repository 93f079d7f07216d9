package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestProfiles;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bundle-level rules over real HTTP, from a SPIFFE bundle file: max-age from the refresh hint within the
 * configured bounds, sequence rollback, declared RSA algorithms in discovery, and the key-count gauge.
 */
@QuarkusTest
@TestProfile(KeySetRulesTest.Bounded.class)
class KeySetRulesTest {

    static final Path BUNDLE = Path.of("target/test-bundles/key-set-rules.json");
    static final String DISCOVERY = "/.well-known/openid-configuration";
    static final JWK PS256 = declared("ps-1", JWSAlgorithm.PS256);
    static final JWK RS384 = declared("rs-1", JWSAlgorithm.RS384);
    static final JWK EC = TestBundles.ec("ec-1", Curve.P_256);

    public static class Bounded implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TestProfiles.fileSource(BUNDLE, TestBundles.spiffeBundle(1, 120, PS256, RS384, EC),
                    "spiffe-oidc.cache-max-age", "300",
                    "spiffe-oidc.cache-max-age-min", "60",
                    "spiffe-oidc.cache-max-age-max", "600",
                    "spiffe-oidc.keys-warn-threshold", "2");
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    private static JWK declared(String kid, JWSAlgorithm alg) {
        return new RSAKey.Builder((RSAKey) TestBundles.rsa(kid)).algorithm(alg).build();
    }

    /** Sequences only grow across the tests, whatever their order, as SPIRE's do. */
    private static final AtomicLong SEQUENCE = new AtomicLong();

    @BeforeEach
    void serveHintedBundle() {
        publish(TestBundles.spiffeBundle(SEQUENCE.incrementAndGet(), 120, PS256, RS384, EC), "max-age=120",
                "ec-1", "ps-1", "rs-1");
    }

    private static void publish(String bundle, String maxAge, String... kids) {
        TestBundles.writeAtomically(BUNDLE, bundle);
        Await.until(maxAge + " " + List.of(kids), () -> {
            var response = given().get("/keys");
            return response.statusCode() == 200 && response.header("Cache-Control").equals("public, " + maxAge)
                    && response.jsonPath().getList("keys.kid").equals(List.of(kids));
        });
    }

    private double metric(String name, String label) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*" + Pattern.quote(label)
                + "[^}]*})? ([0-9.Ee+-]+|NaN)$")
                .matcher(RestAssured.given().get(metrics).asString());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private double metric(String name) {
        return metric(name, "");
    }

    private double rollbacks() {
        return metric("spiffe_oidc_bundle_updates_refused_total", "reason=\"sequence-rollback\"");
    }

    @Test
    void maxAgeFollowsTheRefreshHintOnBothDocumentsAndOn304() {
        for (String path : List.of("/keys", DISCOVERY)) {
            String etag = given().get(path).then().statusCode(200).header("Cache-Control", "public, max-age=120")
                    .extract().header("ETag");
            given().header("If-None-Match", etag).get(path).then().statusCode(304)
                    .header("Cache-Control", "public, max-age=120");
        }
        assertEquals(120, metric("spiffe_oidc_cache_max_age_seconds"));
    }

    @Test
    void theBoundsApplyAndTheEntityTagStaysWhileOnlyTheHintChanges() {
        String etag = given().get("/keys").header("ETag");
        publish(TestBundles.spiffeBundle(SEQUENCE.incrementAndGet(), 86400, PS256, RS384, EC), "max-age=600",
                "ec-1", "ps-1", "rs-1");
        assertEquals(etag, given().get("/keys").header("ETag"));
        publish(TestBundles.spiffeBundle(SEQUENCE.incrementAndGet(), 10, PS256, RS384, EC), "max-age=60",
                "ec-1", "ps-1", "rs-1");
        publish(TestBundles.jwks(PS256, RS384, EC), "max-age=300", "ec-1", "ps-1", "rs-1");
    }

    @Test
    void aRolledBackSequenceIsRefusedAndTheServedKeysStay() throws Exception {
        long served = SEQUENCE.addAndGet(5);
        publish(TestBundles.spiffeBundle(served, 120, PS256, RS384, EC, TestBundles.ec("ec-2", Curve.P_384)), "max-age=120",
                "ec-1", "ec-2", "ps-1", "rs-1");
        double before = rollbacks();
        TestBundles.writeAtomically(BUNDLE, TestBundles.spiffeBundle(served - 1, 120, EC));
        Await.until("a sequence-rollback refusal", () -> rollbacks() > before);
        given().get("/keys").then().statusCode(200).body("keys.kid", contains("ec-1", "ec-2", "ps-1", "rs-1"));
        // The file source's rule lasts while the file stays readable: an outage starts it afresh.
        Files.delete(BUNDLE);
        Await.until("the source down", () -> metric("spiffe_oidc_source_up") == 0);
        publish(TestBundles.spiffeBundle(1, 120, EC), "max-age=120", "ec-1");
        assertEquals(before + 1, rollbacks());
    }

    @Test
    void discoveryListsExactlyTheServedAlgorithmsAndParsesAsProviderMetadata() throws Exception {
        String discovery = given().get(DISCOVERY).then().statusCode(200)
                .body("id_token_signing_alg_values_supported", contains("RS384", "PS256", "ES256"))
                .extract().asString();
        given().get("/keys").then().body("keys.alg", contains("ES256", "PS256", "RS384"));
        // The strictest metadata parser of the interoperability suite accepts a list without RS256.
        publish(TestBundles.spiffeBundle(SEQUENCE.incrementAndGet(), 120, EC), "max-age=120", "ec-1");
        String ecOnly = given().get(DISCOVERY).then()
                .body("id_token_signing_alg_values_supported", contains("ES256")).extract().asString();
        OIDCProviderMetadata metadata = OIDCProviderMetadata.parse(ecOnly);
        assertEquals(List.of(JWSAlgorithm.ES256), metadata.getIDTokenJWSAlgs());
        assertEquals(3, OIDCProviderMetadata.parse(discovery).getIDTokenJWSAlgs().size());
    }

    @Test
    void theOverThresholdGaugeFollowsTheKeyCount() {
        assertEquals(1, metric("spiffe_oidc_keys_over_threshold"));
        publish(TestBundles.spiffeBundle(SEQUENCE.incrementAndGet(), 90, EC), "max-age=90", "ec-1");
        assertEquals(0, metric("spiffe_oidc_keys_over_threshold"));
        assertEquals(1, metric("spiffe_oidc_keys_served"));
    }
}
