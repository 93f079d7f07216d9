package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.RawHttp.Response;
import io.spiffeoidc.testsupport.TestProfiles;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Listener mode 2: plain HTTP behind a TLS-terminating proxy that sets forwarded headers
 * (spiffe-oidc.trust-forwarded-headers=true, spiffe-oidc.allow-insecure-scheme=true).
 */
@QuarkusTest
@TestProfile(ForwardedHeadersTest.Profile.class)
class ForwardedHeadersTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/forwarded.json"),
                    "spiffe-oidc.trust-forwarded-headers", "true",
                    "spiffe-oidc.allow-insecure-scheme", "true");
        }
    }

    @TestHTTPResource("/")
    URL base;

    private Response discovery(String... headers) {
        StringBuilder request = new StringBuilder("GET /.well-known/openid-configuration HTTP/1.1\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        // The file source publishes shortly after start; until then the listener answers 503.
        return Await.result("the discovery document published",
                () -> RawHttp.exchange(base.getHost(), base.getPort(), request + "Connection: close\r\n\r\n"),
                response -> response.status() != 503);
    }

    @Test
    void xForwardedHostAndProtoFromTheEdgeMakeTheIssuer() {
        Response response = discovery("Host: internal-service", "X-Forwarded-Host: oidc.example.test",
                "X-Forwarded-Proto: https");
        assertEquals(200, response.status());
        assertTrue(response.body().contains("\"issuer\":\"https://oidc.example.test\""), response.body());
        assertTrue(response.body().contains("\"jwks_uri\":\"https://oidc.example.test/keys\""), response.body());
    }

    @Test
    void forwardedHeaderTakesPrecedence() {
        Response response = discovery("Host: localhost", "Forwarded: for=10.0.0.1;host=\"oidc.example.test\";proto=https",
                "X-Forwarded-Host: localhost", "X-Forwarded-Proto: http");
        assertEquals(200, response.status());
        assertTrue(response.body().contains("\"issuer\":\"https://oidc.example.test\""), response.body());
    }

    @Test
    void forwardedHostIsStillCheckedAgainstTheAllowList() {
        Response response = discovery("Host: localhost", "X-Forwarded-Host: attacker.example");
        assertEquals(400, response.status());
        assertEquals("{\"error\":\"host not allowed\"}", response.body());
    }

    @Test
    void plainHttpIssuerOnlyWhenTheRequestReallyArrivedOverHttp() {
        // No proxy header: the request came over plain http and http issuers are allowed.
        Response direct = discovery("Host: localhost");
        assertTrue(direct.body().contains("\"issuer\":\"http://localhost\""), direct.body());
        // The edge says the client used http.
        Response viaEdge = discovery("Host: localhost", "X-Forwarded-Proto: http");
        assertTrue(viaEdge.body().contains("\"issuer\":\"http://localhost\""), viaEdge.body());
        // A proto other than http or https is ignored, never copied into the issuer.
        Response bogus = discovery("Host: localhost", "X-Forwarded-Proto: javascript");
        assertTrue(bogus.body().contains("\"issuer\":\"http://localhost\""), bogus.body());
    }

    @Test
    void theNearestProxysValueWinsOverWhatTheClientSent() {
        // The client sent the left-most values; the trusted proxy appended its own on the right.
        Response xForwarded = discovery("Host: internal-service", "X-Forwarded-Host: attacker.example, oidc.example.test",
                "X-Forwarded-Proto: http, https");
        assertEquals(200, xForwarded.status(), xForwarded.head());
        assertTrue(xForwarded.body().contains("\"issuer\":\"https://oidc.example.test\""), xForwarded.body());

        Response forwarded = discovery("Host: internal-service",
                "Forwarded: host=attacker.example;proto=http, for=10.0.0.1;host=\"oidc.example.test\";proto=https");
        assertTrue(forwarded.body().contains("\"issuer\":\"https://oidc.example.test\""), forwarded.body());

        // A proxy that adds a field line of its own rather than extending the client's.
        Response secondLine = discovery("Host: internal-service", "X-Forwarded-Host: attacker.example",
                "X-Forwarded-Host: oidc.example.test", "X-Forwarded-Proto: https");
        assertTrue(secondLine.body().contains("\"issuer\":\"https://oidc.example.test\""), secondLine.body());

        // The right-most value is checked like any other: a client cannot hide behind an allowed left one.
        Response spoofed = discovery("Host: localhost", "X-Forwarded-Host: oidc.example.test, attacker.example");
        assertEquals(400, spoofed.status());
    }

    @Test
    void quotedForwardedValuesMayHoldSeparators() {
        Response response = discovery("Host: internal-service",
                "Forwarded: for=\"[2001:db8::1]:4711\";host=attacker.example, for=\"a,b;c\";host=oidc.example.test;proto=https");
        assertTrue(response.body().contains("\"issuer\":\"https://oidc.example.test\""), response.body());
    }

    @Test
    void discoveryDocumentsDerivedFromForwardedHeadersVaryByThem() {
        Response derived = discovery("Host: internal-service", "X-Forwarded-Host: oidc.example.test",
                "X-Forwarded-Proto: https");
        assertEquals("Forwarded, X-Forwarded-Host, X-Forwarded-Proto", derived.header("Vary"));
        // Also when this request sent none of them: a cache must not reuse it for one that does.
        assertEquals("Forwarded, X-Forwarded-Host, X-Forwarded-Proto", discovery("Host: localhost").header("Vary"));
        // The key set is the same for every host.
        Response keys = RawHttp.exchange(base.getHost(), base.getPort(),
                "GET /keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(200, keys.status());
        assertEquals(null, keys.header("Vary"));
    }
}
