package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import io.spiffeoidc.tls.CertificateReloader;
import io.spiffeoidc.tls.ReloadPasses;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Listener mode 1: HTTPS from PEM files, with real handshakes against a CA made for the test. A test that
 * depends on which certificate is served first writes one of its own and waits until new connections get it,
 * so every test stands alone, in any order; whatever a test leaves behind, the listener serves a certificate of
 * the test CA (the reloader never swaps in anything else).
 */
@QuarkusTest
@TestProfile(TlsListenerTest.Profile.class)
class TlsListenerTest {

    static final Path DIR = Path.of("target/tls-test").toAbsolutePath();
    static final Path CERT = DIR.resolve("tls.crt");
    static final Path KEY = DIR.resolve("tls.key");

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TestPki pki = TestPki.newCa();
            pki.saveTo(DIR);
            pki.issue("first").writeTo(CERT, KEY);
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/tls.json"),
                    "spiffe-oidc.allow-insecure-scheme", "false",
                    "spiffe-oidc.tls.reload-period", "1s",
                    "quarkus.tls.public.key-store.pem.0.cert", CERT.toString(),
                    "quarkus.tls.public.key-store.pem.0.key", KEY.toString(),
                    "quarkus.http.insecure-requests", "disabled");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    @Inject
    TlsConfigurationRegistry registry;

    @Inject
    CertificateReloader reloader;

    private final TestPki pki = TestPki.loadFrom(DIR);

    private SSLSocket connect(String... protocols) throws IOException {
        SSLSocket socket = (SSLSocket) pki.clientContext().getSocketFactory().createSocket("localhost", base.getPort());
        socket.setSoTimeout(5000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName("localhost")));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (protocols.length > 0) {
            parameters.setProtocols(protocols);
        }
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /**
     * The certificate a new connection gets. Vert.x 4.5 drops a connection accepted while it swaps in a new
     * certificate (a few milliseconds per rotation), so a failed handshake is tried again.
     */
    private X509Certificate servedCertificate() {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Await.until("a handshake", Duration.ofSeconds(5), () -> {
            try (SSLSocket socket = connect()) {
                outcome.set(socket.getSession().getPeerCertificates()[0]);
                return true;
            } catch (IOException e) {
                outcome.set(e);
                return false;
            }
        }, () -> String.valueOf(outcome.get()));
        return (X509Certificate) outcome.get();
    }

    private String servedSubject() {
        return servedCertificate().getSubjectX500Principal().getName();
    }

    private String awaitServedSubject(String expected) {
        return Await.result("new connections to get " + expected, this::servedSubject, expected::equals);
    }

    /** Writes a new leaf for {@code commonName} to the files and waits until new connections get that very certificate. */
    private TestPki.Leaf serving(String commonName) {
        TestPki.Leaf leaf = pki.issue(commonName);
        leaf.writeTo(CERT, KEY);
        Await.until("new connections to get " + leaf.subject() + " serial " + leaf.certificate().getSerialNumber(),
                () -> servedCertificate().equals(leaf.certificate()), this::servedSubject);
        return leaf;
    }

    /** Waits until the reloader has logged {@code count} refusals, a positive sign it has seen the files. */
    private static void awaitRefusals(LogCapture log, int count) {
        Await.until(count + " refusals logged", () -> log.errors().size() >= count, () -> log.lines().toString());
    }

    private static RawHttp.Response getKeys(SSLSocket socket) throws IOException {
        return RawHttp.exchange(socket, "GET /keys HTTP/1.1\r\nHost: localhost\r\n\r\n", false);
    }

    @Test
    void servesTheConfiguredChainToClientsTrustingOnlyTheTestCa() throws Exception {
        serving("first");
        try (SSLSocket socket = connect()) {
            X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertEquals("CN=first", leaf.getSubjectX500Principal().getName());
            assertEquals(pki.caCertificate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
        }
        HttpClient client = HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + base.getPort() + "/keys")).build();
        // The file source publishes shortly after start; until then the listener answers 503.
        HttpResponse<String> response = Await.result("/keys published", () -> send(client, request),
                answer -> answer.statusCode() != 503);
        assertEquals(200, response.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, response.version(), "h2 negotiated by ALPN");
        assertTrue(response.body().startsWith("{\"keys\":["));
    }

    private static HttpResponse<String> send(HttpClient client, HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void acceptsOnlyTls12AndTls13() throws Exception {
        // Any certificate of the test CA does: this one needs no rotation of its own.
        assertEquals(Set.of("TLSv1.2", "TLSv1.3"),
                registry.get("public").orElseThrow().getSSLOptions().getEnabledSecureTransportProtocols());
        try (SSLSocket socket = connect("TLSv1.3")) {
            assertEquals("TLSv1.3", socket.getSession().getProtocol());
        }
        try (SSLSocket socket = connect("TLSv1.2")) {
            assertEquals("TLSv1.2", socket.getSession().getProtocol());
        }
        // The JDK client refuses TLS 1.1 by itself (jdk.tls.disabledAlgorithms), so this proves nothing about
        // the server; openssl with its security level lowered offers TLS 1.1 for real.
        Assumptions.assumeTrue(opensslHandshake("-tls1_2"), "openssl s_client not available");
        assertTrue(!opensslHandshake("-tls1_1"), "a TLS 1.1 handshake must fail");
        assertThrows(SSLException.class, () -> connect("TLSv1.1").close());
    }

    private boolean opensslHandshake(String protocolFlag) {
        try {
            Process process = new ProcessBuilder("openssl", "s_client", "-connect", "localhost:" + base.getPort(),
                    "-servername", "localhost", protocolFlag, "-cipher", "DEFAULT@SECLEVEL=0", "-brief")
                    .redirectErrorStream(true).start();
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0 && output.contains("Protocol version");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void rotatedFilesReachNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
        serving("first");
        try (SSLSocket open = connect()) {
            assertEquals(200, getKeys(open).status());
            pki.issue("second").writeTo(CERT, KEY);

            assertEquals("CN=second", awaitServedSubject("CN=second"));

            assertEquals(200, getKeys(open).status(), "the connection opened before the rotation still works");
            assertEquals("CN=first",
                    ((X509Certificate) open.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName());
        }
    }

    @Test
    void brokenFilesKeepTheServedCertificateAndAreLoggedOnce() throws Exception {
        serving("second");
        try (LogCapture log = LogCapture.of(CertificateReloader.class)) {
            // Garbage in the certificate file.
            TestBundles.writeAtomically(CERT, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
            awaitRefusals(log, 1);
            assertEquals("CN=second", servedSubject());
            ReloadPasses.run(reloader, 3); // as many passes as three reload periods would bring
            assertEquals(1, log.errors().size(), "one error for one broken state, not one per period: " + log.errors());

            // A valid certificate with somebody else's key.
            TestPki.Leaf third = pki.issue("third");
            TestPki.Leaf other = pki.issue("other");
            new TestPki.Leaf(third.certificate(), other.keys()).writeTo(CERT, KEY);
            awaitRefusals(log, 2);
            assertEquals("CN=second", servedSubject());
            ReloadPasses.run(reloader, 3);
            assertEquals(2, log.errors().size(), log.errors().toString());

            // A missing key file.
            Files.delete(KEY);
            awaitRefusals(log, 3);
            assertEquals("CN=second", servedSubject());
            ReloadPasses.run(reloader, 3);
            assertEquals(3, log.errors().size(), log.errors().toString());

            // A good pair again is picked up.
            pki.issue("fourth").writeTo(CERT, KEY);
            assertEquals("CN=fourth", awaitServedSubject("CN=fourth"));
            assertEquals(3, log.errors().size(), log.errors().toString());
        }
        assertNotEquals(0, Files.size(CERT));
    }

    @Test
    void aCertificateNotYetValidIsRefusedWithOneLine() throws Exception {
        serving("fourth");
        try (LogCapture log = LogCapture.of(CertificateReloader.class)) {
            Instant notBefore = Instant.now().plus(Duration.ofHours(1));
            pki.issue("future", notBefore, notBefore.plus(Duration.ofDays(1))).writeTo(CERT, KEY);
            Await.until("the reload refuses the certificate that is not valid yet",
                    () -> log.errors().stream().anyMatch(line -> line.contains("is not valid before")), () -> log.lines().toString());
            assertEquals("CN=fourth", servedSubject());

            pki.issue("fifth").writeTo(CERT, KEY);
            assertEquals("CN=fifth", awaitServedSubject("CN=fifth"));
            assertEquals(1, log.errors().size(), log.errors().toString());
        }
    }
}
