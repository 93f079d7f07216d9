package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.http.TlsClients.Handshake;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * TLS 1.2 with one cipher suite and two groups, secp384r1 before x25519, on BoringSSL (the JDK engine runs
 * the same tests in {@link TlsSuitesAndGroupsJdkEngineTest}). Real clients over loopback: OpenSSL's s_client,
 * which reports the negotiated group, and the JDK's.
 */
@QuarkusTest
@TestProfile(TlsSuitesAndGroupsTest.Profile.class)
class TlsSuitesAndGroupsTest {

    static final String SUITE = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";

    /** The HTTPS service on a certificate of a CA kept in {@code dir}, with {@code more} settings. */
    static Map<String, String> https(Path dir, String... more) {
        TestPki pki = TestPki.newCa();
        pki.saveTo(dir);
        pki.issue("first").writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        String[] base = {"spiffe-oidc.allow-insecure-scheme", "false", "spiffe-oidc.tls.reload-period", "1s",
                "quarkus.tls.public.key-store.pem.0.cert", dir.resolve("tls.crt").toString(),
                "quarkus.tls.public.key-store.pem.0.key", dir.resolve("tls.key").toString(),
                "quarkus.http.insecure-requests", "disabled"};
        return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/" + dir.getFileName() + ".json"),
                Stream.concat(Stream.of(base), Stream.of(more)).toArray(String[]::new));
    }

    static final Path DIR = Path.of("target/tls-suites-groups").toAbsolutePath();

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return https(DIR, "quarkus.tls.public.protocols", "TLSv1.3,TLSv1.2", "quarkus.tls.public.cipher-suites", SUITE,
                    "spiffe-oidc.tls.groups", "secp384r1,x25519");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    Path dir() {
        return DIR;
    }

    /** BoringSSL follows the server's order (a HelloRetryRequest for secp384r1); the JDK takes the client's share. */
    String tls13GroupForAClientPreferringX25519() {
        return "secp384r1";
    }

    private TestPki pki() {
        return TestPki.loadFrom(dir());
    }

    private Handshake openssl(String... options) throws Exception {
        Assumptions.assumeTrue(TlsClients.opensslInstalled(), "openssl is not installed");
        Handshake handshake = TlsClients.openssl(base.getPort(), TlsClients.caFile(pki(), dir()), options);
        System.out.println("openssl s_client " + String.join(" ", options) + ": " + handshake);
        return handshake;
    }

    private Handshake jdk(String protocol, String suite) {
        Handshake handshake = TlsClients.jdk(pki(), base.getPort(), new String[] {protocol},
                suite == null ? null : new String[] {suite});
        System.out.println("JDK client " + protocol + " " + suite + ": " + handshake);
        return handshake;
    }

    @Test
    void tls12GetsTheConfiguredSuiteOnTheGroupTheClientOffers() throws Exception {
        Handshake p384 = openssl("-tls1_2", "-groups", "P-384");
        assertEquals("TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 secp384r1", p384.toString());
        Handshake x25519 = openssl("-tls1_2", "-groups", "X25519");
        assertEquals("TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 x25519", x25519.toString());
    }

    @Test
    void aGroupOutsideTheListIsRefusedWithEitherVersion() throws Exception {
        assertFalse(openssl("-tls1_2", "-groups", "P-256").completed());
        assertFalse(openssl("-tls1_3", "-groups", "P-256").completed());
        assertFalse(openssl("-tls1_3", "-groups", "P-521").completed());
    }

    @Test
    void anotherTls12SuiteIsRefused() throws Exception {
        assertFalse(openssl("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256").completed());
        assertFalse(openssl("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256").completed());
        assertFalse(jdk("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").completed());
        assertFalse(jdk("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256").completed());
        assertFalse(jdk("TLSv1.2", "TLS_RSA_WITH_AES_256_GCM_SHA384").completed());
        Handshake configured = jdk("TLSv1.2", SUITE);
        assertTrue(configured.completed(), configured.toString());
        assertEquals("TLSv1.2 " + SUITE, configured.protocol() + " " + configured.cipher());
    }

    @Test
    void tls13StaysOnWithItsOwnSuites() throws Exception {
        Handshake openssl = openssl("-tls1_3", "-groups", "X25519:P-384");
        assertTrue(openssl.completed(), openssl.toString());
        assertEquals("TLSv1.3", openssl.protocol());
        assertTrue(openssl.cipher().startsWith("TLS_"), openssl.toString());
        assertEquals(tls13GroupForAClientPreferringX25519(), openssl.group());
        Handshake jdk = jdk("TLSv1.3", null);
        assertTrue(jdk.completed(), jdk.toString());
        assertEquals("TLSv1.3", jdk.protocol());
    }

    @Test
    void aRotatedCertificateKeepsTheGroupsAndSuites() throws Exception {
        TestPki pki = pki();
        TestPki.Leaf next = pki.issue("rotated");
        next.writeTo(dir().resolve("tls.crt"), dir().resolve("tls.key"));
        Await.until("the rotated certificate to be served", () -> {
            try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) pki.clientContext().getSocketFactory()
                    .createSocket("localhost", base.getPort())) {
                socket.startHandshake();
                return socket.getSession().getPeerCertificates()[0].equals(next.certificate());
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertEquals("TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 secp384r1", openssl("-tls1_2", "-groups", "P-384").toString());
        assertFalse(openssl("-tls1_2", "-groups", "P-256").completed());
        assertFalse(openssl("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256").completed());
    }
}
