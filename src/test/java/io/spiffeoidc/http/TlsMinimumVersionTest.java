package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.http.TlsClients.Handshake;
import io.spiffeoidc.testsupport.TestPki;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * TLS 1.3 as the minimum (quarkus.tls.public.protocols=TLSv1.3, SPIRE's VersionTLS13): TLS 1.2 clients are
 * refused, and the configured TLS 1.2 suite is not used (TLS 1.3's suites are not configurable).
 */
@QuarkusTest
@TestProfile(TlsMinimumVersionTest.Profile.class)
class TlsMinimumVersionTest {

    static final Path DIR = Path.of("target/tls-minimum-version").toAbsolutePath();

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TlsSuitesAndGroupsTest.https(DIR, "quarkus.tls.public.protocols", "TLSv1.3",
                    "quarkus.tls.public.cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    private final TestPki pki = TestPki.loadFrom(DIR);

    @Test
    void opensslGetsTls13AndNoTls12() throws Exception {
        Assumptions.assumeTrue(TlsClients.opensslInstalled(), "openssl is not installed");
        Path ca = TlsClients.caFile(pki, DIR);
        Handshake tls13 = TlsClients.openssl(base.getPort(), ca);
        System.out.println("openssl s_client: " + tls13);
        assertTrue(tls13.completed(), tls13.toString());
        assertEquals("TLSv1.3", tls13.protocol());
        Handshake tls12 = TlsClients.openssl(base.getPort(), ca, "-tls1_2");
        System.out.println("openssl s_client -tls1_2: " + tls12);
        assertFalse(tls12.completed(), tls12.toString());
    }

    @Test
    void theJdkClientGetsTls13AndNoTls12() {
        Handshake tls13 = TlsClients.jdk(pki, base.getPort(), new String[] {"TLSv1.3", "TLSv1.2"}, null);
        System.out.println("JDK client TLSv1.3,TLSv1.2: " + tls13);
        assertEquals("TLSv1.3", tls13.protocol(), tls13.toString());
        assertTrue(tls13.cipher().startsWith("TLS_AES_") || tls13.cipher().startsWith("TLS_CHACHA20_"), tls13.toString());
        Handshake tls12 = TlsClients.jdk(pki, base.getPort(), new String[] {"TLSv1.2"},
                new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
        System.out.println("JDK client TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: " + tls12);
        assertFalse(tls12.completed(), tls12.toString());
    }
}
