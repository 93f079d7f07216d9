package io.spiffeoidc.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import io.spiffeoidc.tls.SvidServingCertificate;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS from the Workload API's X509-SVID (spiffe-oidc.tls.serving-certificate=workload-api), against the fake
 * agent's FetchX509SVID stream on a real Unix socket and real handshakes over loopback. Each test pushes SVIDs of
 * its own and waits until new connections get the one it expects, so the tests stand alone in any order.
 */
@QuarkusTest
@TestProfile(SvidServingTest.Profile.class)
class SvidServingTest {

    static final Path DIR = Path.of("target/svid-test").toAbsolutePath();
    static final Path SOCKET = DIR.resolve("agent.sock");
    static final String PROVIDER_ID = "spiffe://example.org/oidc-provider";

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/svid.json"),
                    "spiffe-oidc.allow-insecure-scheme", "false",
                    "spiffe-oidc.tls.serving-certificate", "workload-api",
                    "spiffe-oidc.tls.workload-api-socket", "unix://" + SOCKET,
                    "quarkus.http.insecure-requests", "disabled");
        }
    }

    private static final TestPki TRUST_DOMAIN = TestPki.newCa();
    private static FakeWorkloadApi agent;

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    @TestHTTPResource(value = "/health/ready", management = true)
    URL ready;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metricsUrl;

    private final SvidTestClient client = new SvidTestClient(TRUST_DOMAIN.caCertificate(), PROVIDER_ID);

    @BeforeAll
    static void startAgent() throws IOException {
        Files.createDirectories(DIR);
        agent = new FakeWorkloadApi(SOCKET);
        push(TRUST_DOMAIN.issueSvid(PROVIDER_ID));
        agent.start();
    }

    @AfterAll
    static void stopAgent() {
        agent.close();
    }

    private static TestPki.Leaf push(TestPki.Leaf svid) {
        return push(svid, svid);
    }

    /** The certificate of one SVID with the key of another, as a broken agent could send them. */
    private static TestPki.Leaf push(TestPki.Leaf certificateOf, TestPki.Leaf keyOf) {
        agent.setX509Svid(PROVIDER_ID, TestPki.der(certificateOf.certificate()), keyOf.keys().getPrivate().getEncoded(),
                TestPki.der(TRUST_DOMAIN.caCertificate()));
        return certificateOf;
    }

    /** The SVID a new connection gets; a handshake that fails (none served yet, or a swap under way) is retried. */
    private X509Certificate served(BigInteger expectedSerial, Duration limit) {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Await.until("new connections get serial " + expectedSerial.toString(16), limit, () -> {
            try (SSLSocket socket = client.connect(base.getPort())) {
                X509Certificate peer = SvidTestClient.peer(socket);
                outcome.set(peer);
                return peer.getSerialNumber().equals(expectedSerial);
            } catch (IOException e) {
                outcome.set(e);
                return false;
            }
        }, () -> String.valueOf(outcome.get()));
        return (X509Certificate) outcome.get();
    }

    private X509Certificate served(TestPki.Leaf svid) {
        return served(svid.certificate().getSerialNumber(), Await.DEFAULT);
    }

    @Test
    void aClientTrustingOnlyTheBundleVerifiesTheSvidAndFetchesTheKeys() throws Exception {
        TestPki.Leaf svid = push(TRUST_DOMAIN.issueSvid(PROVIDER_ID));
        served(svid);

        try (SSLSocket socket = client.connect(base.getPort())) {
            String[] response = SvidTestClient.get(socket, "/keys");
            assertEquals("HTTP/1.1 200 OK", response[0]);
            assertTrue(response[1].contains("\"keys\""), response[1]);
        }
        SvidTestClient elsewhere = new SvidTestClient(TRUST_DOMAIN.caCertificate(), "spiffe://example.org/someone-else");
        assertThrows(IOException.class, () -> elsewhere.connect(base.getPort()).close(), "a client expecting another SPIFFE ID");
        RestAssured.given().get(ready).then().statusCode(200);
    }

    @Test
    void aRotationReachesNewConnectionsWhileAConnectionOpenedBeforeKeepsWorking() throws Exception {
        TestPki.Leaf before = push(TRUST_DOMAIN.issueSvid(PROVIDER_ID));
        served(before);
        try (SSLSocket open = client.connect(base.getPort())) {
            assertEquals("HTTP/1.1 200 OK", SvidTestClient.get(open, "/keys")[0]);

            TestPki.Leaf after = TRUST_DOMAIN.issueSvid(PROVIDER_ID);
            long pushed = System.nanoTime();
            push(after);
            served(after.certificate().getSerialNumber(), Duration.ofSeconds(5));
            long millis = Duration.ofNanos(System.nanoTime() - pushed).toMillis();
            Files.writeString(DIR.resolve("rotation-millis.txt"), millis + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            System.out.println("X509-SVID rotation served to new connections " + millis + " ms after the agent pushed it");

            assertEquals("HTTP/1.1 200 OK", SvidTestClient.get(open, "/keys")[0], "the connection opened before the rotation");
            assertEquals(before.certificate().getSerialNumber(), SvidTestClient.peer(open).getSerialNumber());
        }
    }

    /**
     * Rotations while new connections keep arriving: every handshake completes and every request is answered.
     * A swap is one reference write in the key manager, so no connection is accepted into a half-swapped
     * listener. The connections are OpenSSL's (s_client, one process each, verifying against the trust domain's
     * bundle): a fresh process never resumes a session, so each one shows the SVID served at that moment.
     */
    @Test
    void noConnectionFailsWhileRotationsArrive() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.spiffeoidc.http.TlsClients.opensslInstalled(), "openssl is not installed");
        Path authority = DIR.resolve("authority.pem");
        Files.writeString(authority, TestPki.pem(TRUST_DOMAIN.caCertificate()));
        served(push(TRUST_DOMAIN.issueSvid(PROVIDER_ID)));
        java.util.Set<BigInteger> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.List<String> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        Thread load = new Thread(() -> {
            while (running.get()) {
                try {
                    String output = opensslGet(base.getPort(), authority);
                    int begin = output.indexOf("-----BEGIN CERTIFICATE-----");
                    int end = output.indexOf("-----END CERTIFICATE-----");
                    if (begin < 0 || end < 0 || !output.contains("HTTP/1.1 200 OK") || !output.contains("Verify return code: 0 (ok)")) {
                        failures.add(output.lines().filter(l -> l.contains("rror") || l.startsWith("HTTP") || l.contains("Verify"))
                                .toList().toString());
                        continue;
                    }
                    X509Certificate peer = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                            .generateCertificate(new java.io.ByteArrayInputStream(output.substring(begin, end + 25).getBytes()));
                    seen.add(peer.getSerialNumber());
                    connections.incrementAndGet();
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        load.start();
        try {
            for (int i = 0; i < 5; i++) {
                TestPki.Leaf next = push(TRUST_DOMAIN.issueSvid(PROVIDER_ID));
                int before = connections.get();
                Await.until("a connection with serial " + next.certificate().getSerialNumber().toString(16), Await.DEFAULT,
                        () -> seen.contains(next.certificate().getSerialNumber()) && connections.get() > before + 5,
                        () -> connections.get() + " connections, serials " + seen + ", failures " + failures);
            }
        } finally {
            running.set(false);
            load.join(10_000);
        }
        assertEquals(java.util.List.of(), failures, connections.get() + " connections");
        assertTrue(seen.size() >= 5, seen.toString());
    }

    /** One connection by OpenSSL's client: a GET of /keys; its output holds the served certificate and the answer. */
    private static String opensslGet(int port, Path authority) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile", authority.toString(),
                "-verify_return_error", "-ign_eof").redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write("GET /keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        return output;
    }

    @Test
    void anSvidWhoseKeyDoesNotFitItsCertificateIsRefusedWithOneLineAndThePreviousStaysServed() throws Exception {
        TestPki.Leaf good = push(TRUST_DOMAIN.issueSvid(PROVIDER_ID));
        served(good);
        try (LogCapture log = LogCapture.of(SvidServingCertificate.class)) {
            push(TRUST_DOMAIN.issueSvid(PROVIDER_ID), TRUST_DOMAIN.issueSvid(PROVIDER_ID));
            Await.until("the refusal is logged", () -> !log.errors().isEmpty(), () -> log.lines().toString());
            assertEquals(1, log.errors().size(), log.lines().toString());
            assertTrue(log.errors().get(0).contains("does not belong"), log.errors().get(0));
            assertTrue(log.errors().get(0).contains("still serving " + PROVIDER_ID), log.errors().get(0));

            TestPki.Leaf expired = TRUST_DOMAIN.issueSvid(PROVIDER_ID, Instant.now().minus(Duration.ofHours(2)),
                    Instant.now().minus(Duration.ofHours(1)));
            push(expired);
            Await.until("the expired SVID's refusal is logged", () -> log.errors().size() == 2, () -> log.lines().toString());
            assertTrue(log.errors().get(1).contains("expired"), log.errors().get(1));
        }
        served(good);
        RestAssured.given().get(ready).then().statusCode(200);
        String metrics = RestAssured.given().get(metricsUrl).asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("spiffe_oidc_tls_svid_refused_total ")
                && Double.parseDouble(l.substring(l.indexOf(' ') + 1)) >= 2), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("spiffe_oidc_tls_svid_expiry_seconds ")
                && Double.parseDouble(l.substring(l.indexOf(' ') + 1)) > 3600), metrics);
    }
}
