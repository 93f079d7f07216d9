package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.RedirectConfig;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestProfiles;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both endpoints under a prefix, a configured jwks_uri, key use switched off and a shorter max-age. */
@QuarkusTest
@TestProfile(PathPrefixTest.Prefixed.class)
class PathPrefixTest {

    static final String JWKS_URI = "https://keys.example.test/oidc/keys";

    public static class Prefixed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path bundle = Path.of("target/test-bundles/prefixed.json");
            return TestProfiles.fileSource(bundle, TestBundles.jwks(TestBundles.rsa("pre-1")),
                    "spiffe-oidc.path-prefix", "/oidc/",
                    "spiffe-oidc.jwks-uri", JWKS_URI,
                    "spiffe-oidc.key-use", "none",
                    "spiffe-oidc.cache-max-age", "60");
        }
    }

    @TestHTTPResource("/")
    URL base;

    @Test
    void endpointsLiveUnderThePrefix() {
        given().get("/oidc/.well-known/openid-configuration").then()
                .statusCode(200)
                .header("Cache-Control", "public, max-age=60")
                .body("issuer", equalTo("http://localhost:" + base.getPort() + "/oidc"))
                .body("jwks_uri", equalTo(JWKS_URI));
        given().get("/oidc/keys").then()
                .statusCode(200)
                .body("keys.use", everyItem(nullValue()))
                .body("keys.alg", everyItem(equalTo("RS256")));
    }

    @Test
    void nothingElseAnswersAndNothingRedirects() {
        for (String path : List.of("/keys", "/.well-known/openid-configuration", "/oidc", "/oidc/", "/oidc/keys/", "/oidckeys")) {
            given().config(RestAssured.config().redirect(RedirectConfig.redirectConfig().followRedirects(false)))
                    .get(path).then().statusCode(404).header("Location", nullValue());
        }
    }
}
