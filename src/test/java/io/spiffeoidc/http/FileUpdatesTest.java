package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestBundles;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The file source end to end: changes are served, every bad update is refused and the last good set stays. */
@QuarkusTest
class FileUpdatesTest {

    static final Path BUNDLE = DocumentsTest.BUNDLE;
    static final JWK GOOD = TestBundles.rsa("good-1");

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @BeforeEach
    void serveGoodBundle() {
        TestBundles.writeAtomically(BUNDLE, TestBundles.jwks(GOOD));
        Await.until("the good bundle", () -> kids().equals(List.of("good-1")));
    }

    private static List<String> kids() {
        var response = given().get("/keys");
        return response.statusCode() == 200 ? response.jsonPath().getList("keys.kid") : List.of();
    }

    private double refusals(String reason) {
        String text = RestAssured.given().get(metrics).asString();
        Matcher m = Pattern.compile("spiffe_oidc_bundle_updates_refused_total\\{reason=\"" + reason + "\"[^}]*} ([0-9.Ee+]+)")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    private void assertRefusedAndGoodKept(String reason, String badDocument) {
        double before = refusals(reason);
        String etag = given().get("/keys").header("ETag");
        TestBundles.writeAtomically(BUNDLE, badDocument);
        Await.until("a " + reason + " refusal", () -> refusals(reason) > before);
        given().get("/keys").then().statusCode(200).header("ETag", etag).body("keys.kid", contains("good-1"));
    }

    @Test
    void aChangedFileIsServed() {
        JWK next = TestBundles.ec("next-1", Curve.P_384);
        TestBundles.writeAtomically(BUNDLE, TestBundles.spiffeBundle(TestBundles.nextSequence(), GOOD, next));
        Await.until("the new key", () -> kids().equals(List.of("good-1", "next-1")));
        given().get("/.well-known/openid-configuration").then()
                .body("id_token_signing_alg_values_supported", contains("RS256", "ES384"));
    }

    @Test
    void aFileRewrittenInPlaceIsServedOnceComplete() throws IOException {
        String next = TestBundles.jwks(TestBundles.ec("inplace-1", Curve.P_256));
        Files.writeString(BUNDLE, next.substring(0, next.length() / 2));
        Files.writeString(BUNDLE, next);
        Await.until("the rewritten file", () -> kids().equals(List.of("inplace-1")));
    }

    @Test
    void everyRefusalReasonKeepsTheLastGoodKeys() {
        String full = TestBundles.jwks(TestBundles.rsa("other-1"));
        assertRefusedAndGoodKept("invalid-json", full.substring(0, full.length() / 2));
        assertRefusedAndGoodKept("private-key-material", TestBundles.document(List.of(TestBundles.members(GOOD)), null));
        assertRefusedAndGoodKept("symmetric-key", "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}");
        Map<String, Object> noKid = new LinkedHashMap<>(GOOD.toPublicJWK().toJSONObject());
        noKid.remove("kid");
        assertRefusedAndGoodKept("missing-kid", TestBundles.document(List.of(noKid), null));
        assertRefusedAndGoodKept("duplicate-kid", TestBundles.jwks(GOOD, TestBundles.ec("good-1", Curve.P_256)));
        assertRefusedAndGoodKept("weak-key", TestBundles.jwks(TestBundles.rsa("small", 1024)));
        assertRefusedAndGoodKept("unsupported-key", TestBundles.jwks(TestBundles.okp("x", Curve.X25519)));
        assertRefusedAndGoodKept("empty-key-set", "{\"keys\":[]}");
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(Map.of("kty", "EC", "kid", "k" + i));
        }
        assertRefusedAndGoodKept("too-many-keys", TestBundles.document(many, null));
        assertRefusedAndGoodKept("too-large", "{\"keys\":[],\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}");
    }

    @Test
    void aMissingFileKeepsTheLastGoodKeysAndShowsTheSourceDown() throws IOException {
        Files.delete(BUNDLE);
        Await.until("source down", () -> RestAssured.given().get(ready).jsonPath()
                .getString("checks[0].data.sourceState").equals("down"));
        given().get("/keys").then().statusCode(200).body("keys.kid", contains("good-1"));
        RestAssured.given().get(ready).then()
                .statusCode(200)
                .body("checks[0].data.lastSourceError", equalTo("file " + BUNDLE.toAbsolutePath() + " does not exist"));
        TestBundles.writeAtomically(BUNDLE, TestBundles.jwks(GOOD));
        Await.until("source up", () -> RestAssured.given().get(ready).jsonPath()
                .getString("checks[0].data.sourceState").equals("up"));
    }

    @Test
    void aDirectoryInPlaceOfTheFileKeepsTheLastGoodKeys() throws IOException {
        Files.delete(BUNDLE);
        Files.createDirectory(BUNDLE);
        try {
            // No error is reported until the next poll sees the directory.
            Await.until("source down", () -> String.valueOf(RestAssured.given().get(ready).jsonPath()
                    .getString("checks[0].data.lastSourceError")).endsWith("it is a directory"));
            given().get("/keys").then().statusCode(200).body("keys.kid", contains("good-1"));
        } finally {
            Files.delete(BUNDLE);
        }
    }

    @Test
    void readinessAndMetricsDescribeTheServedBundle() {
        RestAssured.given().get(ready).then()
                .statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks[0].data.keyIds", equalTo("good-1"))
                .body("checks[0].data.source", equalTo("file"));
        String text = RestAssured.given().get(metrics).asString();
        assertEquals(true, text.contains("spiffe_oidc_keys_served 1.0"), text);
        assertEquals(true, text.contains("spiffe_oidc_source_up{source=\"file\"} 1.0"));
        assertEquals(true, text.contains("spiffe_oidc_bundle_updates_applied_total"));
        assertEquals(true, text.contains("spiffe_oidc_source_sync_age_seconds"));
        assertEquals(true, text.contains("http_server_requests_seconds_count"));
    }
}
