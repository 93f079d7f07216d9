package io.spiffeoidc.source.server;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeSpireServerResource;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The whole service on the SPIRE Server API source: a token signed by a key that expired or was tainted
 * stops verifying against GET /keys, whether or not the server still answers.
 */
@QuarkusTest
@TestProfile(TaintedAndExpiredKeysEndpointTest.ServerProfile.class)
class TaintedAndExpiredKeysEndpointTest {

    public static class ServerProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("spiffe-oidc.domains", "localhost");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeSpireServerResource.class));
        }
    }

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @Test
    void expiredAndTaintedKeysStopVerifying() throws Exception {
        String expiringToken = token(key(FakeSpireServerResource.EXPIRING_KEY));
        String steadyToken = token(key(FakeSpireServerResource.STEADY_KEY));
        Await.until("both keys served", () -> verifiesAgainstKeys(expiringToken) && verifiesAgainstKeys(steadyToken));

        long expiresAt = Long.parseLong(control("/expire-soon", "2"));
        int calls = Integer.parseInt(control("/calls", ""));
        Await.until("the expiry polled", () -> Integer.parseInt(control("/calls", "")) >= calls + 2);
        control("/stop", "");
        Await.until("the expired key withdrawn", () -> !verifiesAgainstKeys(expiringToken));
        assertTrue(Instant.now().getEpochSecond() >= expiresAt, "withdrawn no earlier than its expiry");
        assertTrue(verifiesAgainstKeys(steadyToken), "the other key stays");

        control("/start", "");
        control("/taint-all", "");
        Await.until("nothing served", () -> given().get("/keys").statusCode() == 503);
        assertFalse(verifiesAgainstKeys(steadyToken));
        RestAssured.given().get(ready).then().statusCode(503)
                .body("checks[0].data.notServing", equalTo("every JWT authority is tainted [expiring, steady]"));
    }

    private static ECKey key(String property) throws ParseException {
        return ECKey.parse(ConfigProvider.getConfig().getValue(property, String.class));
    }

    private static String token(ECKey key) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                new JWTClaimsSet.Builder().subject("spiffe://example.org/workload").audience("test").build());
        jwt.sign(new ECDSASigner(key));
        return jwt.serialize();
    }

    /** What a relying party does: look the token's kid up in the served key set and check the signature. */
    private static boolean verifiesAgainstKeys(String token) {
        var response = given().get("/keys");
        if (response.statusCode() != 200) {
            return false;
        }
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWK key = JWKSet.parse(response.asString()).getKeyByKeyId(jwt.getHeader().getKeyID());
            return key != null && jwt.verify(new ECDSAVerifier(key.toECKey()));
        } catch (ParseException | JOSEException e) {
            throw new AssertionError(e);
        }
    }

    private static String control(String command, String body) {
        int port = ConfigProvider.getConfig().getValue(FakeSpireServerResource.CONTROL_PORT, Integer.class);
        HttpResponse<String> response;
        try {
            response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + command))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (response.statusCode() != 200) {
            throw new AssertionError("fake SPIRE server refused " + command + ": " + response.body());
        }
        return response.body();
    }
}
