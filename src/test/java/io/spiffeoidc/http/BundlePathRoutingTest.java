package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A bundle endpoint whose path ends like a document path, next to an issuer under a prefix. The guard
 * decides issuer and document once from the exact configured paths, and the resources serve that decision
 * whichever template matched: /spiffe/keys is the SPIFFE bundle, /oidc/keys the key set.
 */
@QuarkusTest
@TestProfile(BundlePathRoutingTest.Profile.class)
class BundlePathRoutingTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path bundle = Path.of("target/test-bundles/bundle-path-routing.json");
            Map<String, Object> jwt = new HashMap<>(TestBundles.ec("routing-1").toPublicJWK().toJSONObject());
            jwt.put("use", "jwt-svid");
            return TestProfiles.fileSource(bundle, TestBundles.document(
                    List.of(TestPki.member(TestPki.authority("routing CA")), jwt), 1L),
                    "spiffe-oidc.path-prefix", "/oidc",
                    "spiffe-oidc.bundle-endpoint.path", "/spiffe/keys");
        }
    }

    @Test
    void eachPathServesTheDocumentItIsConfiguredFor() {
        Await.until("the bundle to be served", () -> given().get("/spiffe/keys").statusCode() == 200);
        Response bundle = given().get("/spiffe/keys");
        bundle.then().body("keys.use", containsInAnyOrder("x509-svid", "jwt-svid"));
        Response keys = given().get("/oidc/keys");
        keys.then().statusCode(200).body("keys.kid", equalTo(List.of("routing-1"))).body("keys.use", everyItem(equalTo("sig")));
        assertNotEquals(bundle.header("ETag"), keys.header("ETag"));
        given().head("/spiffe/keys").then().statusCode(200).header("ETag", bundle.header("ETag"));
        given().header("If-None-Match", bundle.header("ETag")).get("/spiffe/keys").then().statusCode(304);
        for (String path : List.of("/keys", "/spiffe/.well-known/openid-configuration", "/oidc/spiffe/keys", "/spiffe/keys/")) {
            given().get(path).then().statusCode(404).body("error", equalTo("not found"));
        }
        given().post("/spiffe/keys").then().statusCode(405).header("Allow", "GET, HEAD");
    }
}
