package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.RawHttp.Response;
import io.spiffeoidc.testsupport.TestProfiles;
import java.io.IOException;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Limits of the public listener, probed with requests real clients never send. */
@QuarkusTest
@TestProfile(HardeningTest.Profile.class)
class HardeningTest {

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/hardening.json"),
                    // Issuers stay https although these requests arrive over plain http.
                    "spiffe-oidc.allow-insecure-scheme", "false");
        }
    }

    @TestHTTPResource("/")
    URL base;

    private Response send(String request) {
        return RawHttp.exchange(base.getHost(), base.getPort(), request);
    }

    private Response get(String path, String... extraHeaders) {
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String header : extraHeaders) {
            request.append(header).append("\r\n");
        }
        return send(request.append("Connection: close\r\n\r\n").toString());
    }

    @Test
    void normalRequestHasNoServerBanner() {
        Response response = awaitKeys();
        assertEquals(200, response.status());
        assertNull(response.header("Server"));
        assertNull(response.header("X-Powered-By"));
    }

    @Test
    void oversizedRequestLineIs414() {
        awaitKeys();
        Response response = get("/keys?" + "a".repeat(3000));
        assertEquals(414, response.status());
    }

    @Test
    void oversizedHeaderBlockIs431() {
        awaitKeys();
        Response response = get("/keys", "X-Padding: " + "p".repeat(9000));
        assertEquals(431, response.status());
    }

    @Test
    void tooManyHeadersIs431WithJson() {
        awaitKeys();
        String[] headers = new String[PublicRoutes.MAX_REQUEST_HEADERS + 1];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = "X-H" + i + ": v";
        }
        Response response = get("/keys", headers);
        assertEquals(431, response.status());
        assertEquals("{\"error\":\"too many request headers\"}", response.body());
        assertEquals("application/json", response.header("Content-Type"));
    }

    @Test
    void headerLinesAreCountedNotDistinctNames() {
        awaitKeys();
        // Host and Connection are sent as well: exactly the limit passes, one more line is refused, even
        // when every extra line repeats one name.
        String[] atLimit = new String[PublicRoutes.MAX_REQUEST_HEADERS - 2];
        java.util.Arrays.fill(atLimit, "X-Same: v");
        assertEquals(200, get("/keys", atLimit).status());
        String[] overLimit = new String[PublicRoutes.MAX_REQUEST_HEADERS - 1];
        java.util.Arrays.fill(overLimit, "X-Same: v");
        Response response = get("/keys", overLimit);
        assertEquals(431, response.status());
        assertEquals("{\"error\":\"too many request headers\"}", response.body());
    }

    @Test
    void requestBodiesAreRefused() {
        awaitKeys();
        Response withLength = send("GET /keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
        assertEquals(413, withLength.status());
        assertEquals("{\"error\":\"request body not accepted\"}", withLength.body());

        Response chunked = send("POST /keys HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertEquals(413, chunked.status());
        assertEquals("{\"error\":\"request body not accepted\"}", chunked.body());

        Response large = send("POST /keys HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(4096));
        assertEquals(413, large.status());
    }

    @Test
    void managementEndpointsAreNotOnThePublicListener() {
        awaitKeys();
        for (String path : List.of("/q/health", "/q/health/ready", "/q/metrics", "/metrics")) {
            Response response = get(path);
            assertEquals(404, response.status(), path);
            assertEquals("{\"error\":\"not found\"}", response.body(), path);
        }
    }

    @Test
    void forwardedHeadersAreIgnoredUnlessTrusted() {
        awaitKeys();
        String authority = "localhost"; // the Host header these requests send
        Response response = get("/.well-known/openid-configuration", "X-Forwarded-Host: oidc.example.test",
                "X-Forwarded-Proto: http", "Forwarded: host=oidc.example.test;proto=http");
        assertEquals(200, response.status());
        assertTrue(response.body().contains("\"issuer\":\"https://" + authority + "\""), response.body());
        assertTrue(response.body().contains("\"jwks_uri\":\"https://" + authority + "/keys\""), response.body());

        // A forwarded host outside the allow-list does not matter either: the Host header is what is checked.
        assertEquals(200, get("/keys", "X-Forwarded-Host: attacker.example", "Forwarded: host=attacker.example").status());
        assertEquals(400, send("GET /keys HTTP/1.1\r\nHost: attacker.example\r\nX-Forwarded-Host: localhost\r\n"
                + "Connection: close\r\n\r\n").status());
    }

    @Test
    void idleAndTricklingConnectionsDoNotStarveRealClients() throws Exception {
        awaitKeys();
        List<Socket> held = new ArrayList<>();
        ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int i = 0; i < 200; i++) {
                held.add(new Socket(base.getHost(), base.getPort()));
            }
            byte[] slowRequest = "GET /keys HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                slow.add(new Socket(base.getHost(), base.getPort()));
            }
            held.addAll(slow);
            AtomicInteger position = new AtomicInteger();
            trickle.scheduleAtFixedRate(() -> {
                int at = position.get();
                for (Socket socket : slow) {
                    try {
                        byte b = at < slowRequest.length ? slowRequest[at] : (byte) 'z';
                        socket.getOutputStream().write(b);
                    } catch (IOException ignored) {
                        // the server may close a trickling connection; that is allowed
                    }
                }
                position.incrementAndGet();
            }, 0, 100, TimeUnit.MILLISECONDS);
            // The real client comes once every slow connection is part-way through its request head.
            Await.until("the slow clients trickling", () -> position.get() >= 5);

            long start = System.nanoTime();
            Response response = get("/keys");
            assertEquals(200, response.status());
            // A bounded wait, not a performance assertion: starvation would mean no answer at all.
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
        } finally {
            trickle.shutdownNow();
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** The file source publishes shortly after start; until then the listener answers 503. */
    private Response awaitKeys() {
        return Await.result("/keys published", () -> get("/keys"), response -> response.status() != 503);
    }
}
