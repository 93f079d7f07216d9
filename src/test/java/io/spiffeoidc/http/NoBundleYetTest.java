package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.net.URL;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Before the first valid bundle: 503 with Retry-After, never an empty key set; not ready, but alive. */
@QuarkusTest
@TestProfile(NoBundleYetTest.AbsentFile.class)
class NoBundleYetTest {

    public static class AbsentFile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("spiffe-oidc.file.path", "target/test-bundles/never-written.json");
        }
    }

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @TestHTTPResource(value = "/health/live", management = true)
    URL live;

    @Test
    void bothDocumentsAnswer503WithRetryAfter() {
        for (String path : new String[] {"/keys", "/.well-known/openid-configuration"}) {
            given().get(path).then()
                    .statusCode(503)
                    .header("Retry-After", "5")
                    .header("Cache-Control", "no-store")
                    .header("Content-Type", "application/json")
                    .body("error", equalTo("no signing keys available yet"));
        }
    }

    @Test
    void notReadyButAlive() {
        RestAssured.given().get(ready).then()
                .statusCode(503)
                .body("checks[0].data.sourceState", equalTo("down"))
                .body("checks[0].data.keyIds", equalTo(""));
        RestAssured.given().get(live).then().statusCode(200);
    }
}
