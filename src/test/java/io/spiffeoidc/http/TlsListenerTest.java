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
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import jakarta.inject.Inject;
import java.io.IOException;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Listener mode 1: HTTPS from PEM files, with real handshakes against a CA made for the test. The tests
 * run in order because later ones rotate the files the listener serves.
 */
@QuarkusTest
@TestProfile(TlsListenerTest.Profile.class)
@TestMethodOrder(OrderAnnotation.class)
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
     * certificate (a few milliseconds per rotation), so a failed handshake is retried a few times.
     */
    private String servedSubject() throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try (SSLSocket socket = connect()) {
                return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw last;
    }

    private String awaitServedSubject(String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String subject = servedSubject();
        while (!subject.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            subject = servedSubject();
        }
        return subject;
    }

    private static RawHttp.Response getKeys(SSLSocket socket) throws IOException {
        return RawHttp.exchange(socket, "GET /keys HTTP/1.1\r\nHost: localhost\r\n\r\n", false);
    }

    @Test
    @Order(1)
    void servesTheConfiguredChainToClientsTrustingOnlyTheTestCa() throws Exception {
        try (SSLSocket socket = connect()) {
            X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertEquals("CN=first", leaf.getSubjectX500Principal().getName());
            assertEquals(pki.caCertificate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
        }
        HttpClient client = HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + base.getPort() + "/keys")).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        while (response.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        }
        assertEquals(200, response.statusCode());
        assertEquals(HttpClient.Version.HTTP_2, response.version(), "h2 negotiated by ALPN");
        assertTrue(response.body().startsWith("{\"keys\":["));
    }

    @Test
    @Order(2)
    void acceptsOnlyTls12AndTls13() throws Exception {
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
    @Order(3)
    void rotatedFilesReachNewConnectionsWhileOpenOnesKeepWorking() throws Exception {
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
    @Order(4)
    void brokenFilesKeepTheServedCertificateAndAreLoggedOnce() throws Exception {
        assertEquals("CN=second", awaitServedSubject("CN=second"));
        List<LogRecord> errors = new ArrayList<>();
        Handler capture = errorsInto(errors);
        Logger logger = Logger.getLogger("io.spiffeoidc.tls.CertificateReloader");
        logger.addHandler(capture);
        try {
            // Garbage in the certificate file.
            TestBundles.writeAtomically(CERT, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
            Thread.sleep(3500); // more than three reload periods
            assertEquals("CN=second", servedSubject());
            synchronized (errors) {
                assertEquals(1, errors.size(), "one error for one broken state, not one per period");
            }

            // A valid certificate with somebody else's key.
            TestPki.Leaf third = pki.issue("third");
            TestPki.Leaf other = pki.issue("other");
            new TestPki.Leaf(third.certificate(), other.keys()).writeTo(CERT, KEY);
            Thread.sleep(3500);
            assertEquals("CN=second", servedSubject());
            synchronized (errors) {
                assertEquals(2, errors.size());
            }

            // A missing key file.
            Files.delete(KEY);
            Thread.sleep(3500);
            assertEquals("CN=second", servedSubject());
            synchronized (errors) {
                assertEquals(3, errors.size());
            }

            // A good pair again is picked up.
            pki.issue("fourth").writeTo(CERT, KEY);
            assertEquals("CN=fourth", awaitServedSubject("CN=fourth"));
            synchronized (errors) {
                assertEquals(3, errors.size());
            }
        } finally {
            logger.removeHandler(capture);
        }
        assertNotEquals(0, Files.size(CERT));
    }

    @Test
    @Order(5)
    void aCertificateNotYetValidIsRefusedWithOneLine() throws Exception {
        assertEquals("CN=fourth", awaitServedSubject("CN=fourth"));
        List<LogRecord> refusals = new ArrayList<>();
        Handler capture = errorsInto(refusals);
        Logger logger = Logger.getLogger("io.spiffeoidc.tls.CertificateReloader");
        logger.addHandler(capture);
        try {
            Instant notBefore = Instant.now().plus(Duration.ofHours(1));
            pki.issue("future", notBefore, notBefore.plus(Duration.ofDays(1))).writeTo(CERT, KEY);
            Await.until("the reload refuses the certificate that is not valid yet", () -> {
                synchronized (refusals) {
                    return refusals.stream().anyMatch(record -> (record.getMessage() + Arrays.toString(record.getParameters()))
                            .contains("is not valid before"));
                }
            });
            assertEquals("CN=fourth", servedSubject());

            pki.issue("fifth").writeTo(CERT, KEY);
            assertEquals("CN=fifth", awaitServedSubject("CN=fifth"));
            synchronized (refusals) {
                assertEquals(1, refusals.size(), refusals.toString());
            }
        } finally {
            logger.removeHandler(capture);
        }
    }

    /** Collects the error records of the logger it is added to. */
    private static Handler errorsInto(List<LogRecord> errors) {
        return new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    synchronized (errors) {
                        errors.add(record);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }
}
