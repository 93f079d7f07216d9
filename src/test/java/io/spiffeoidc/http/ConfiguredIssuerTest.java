package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestProfiles;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A configured issuer is used verbatim, and with no explicit domains its host is the only one answered:
 * setting the issuer must not switch the host check off.
 */
@QuarkusTest
@TestProfile(ConfiguredIssuerTest.IssuerOnly.class)
class ConfiguredIssuerTest {

    static final String ISSUER = "https://oidc.example.test/td/";

    public static class IssuerOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path bundle = Path.of("target/test-bundles/configured-issuer.json");
            return TestProfiles.fileSource(bundle, TestBundles.jwks(TestBundles.rsa("iss-1")),
                    "spiffe-oidc.issuer", ISSUER,
                    "spiffe-oidc.domains", "",
                    "spiffe-oidc.allow-insecure-scheme", "false");
        }
    }

    @Test
    void issuerIsServedExactlyAsConfigured() {
        given().header("Host", "oidc.example.test").get("/.well-known/openid-configuration").then()
                .statusCode(200)
                .body("issuer", equalTo(ISSUER))
                .body("jwks_uri", equalTo("https://oidc.example.test/keys"));
    }

    @Test
    void onlyTheIssuerHostIsAllowed() {
        given().get("/keys").then().statusCode(400).body("error", equalTo("host not allowed"));
        given().header("Host", "evil.example").get("/.well-known/openid-configuration").then().statusCode(400);
        given().header("Host", "oidc.example.test:443").get("/keys").then().statusCode(200);
    }
}
