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
import io.vertx.core.net.OpenSSLEngineOptions;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The post-quantum hybrid group alone (spiffe-oidc.tls.groups=X25519MLKEM768, TLS 1.3 only; SPIRE's
 * curve_preferences = ["X25519MLKEM768"]). Neither OpenSSL 3.0 nor the JDK speaks it, so the client that
 * completes is BoringSSL's (netty-tcnative) offering only X25519MLKEM768; tcnative does not report the group,
 * so the proof is that the same client offering only X25519 is refused.
 */
@QuarkusTest
@TestProfile(TlsHybridGroupTest.Profile.class)
class TlsHybridGroupTest {

    static final Path DIR = Path.of("target/tls-hybrid-group").toAbsolutePath();

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TlsSuitesAndGroupsTest.https(DIR, "quarkus.tls.public.protocols", "TLSv1.3", "spiffe-oidc.tls.groups",
                    "X25519MLKEM768");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    @Test
    void onlyAClientOfferingX25519Mlkem768CompletesAHandshake() throws Exception {
        Assumptions.assumeTrue(OpenSSLEngineOptions.isPqcAvailable(), "BoringSSL without X25519MLKEM768");
        Handshake hybrid = TlsClients.boringSsl(base.getPort(), "X25519MLKEM768");
        System.out.println("BoringSSL client X25519MLKEM768: " + hybrid);
        assertTrue(hybrid.completed(), hybrid.toString());
        assertEquals("TLSv1.3", hybrid.protocol());
        Handshake classical = TlsClients.boringSsl(base.getPort(), "X25519");
        System.out.println("BoringSSL client X25519: " + classical);
        assertFalse(classical.completed(), classical.toString());
        Handshake both = TlsClients.boringSsl(base.getPort(), "X25519:X25519MLKEM768");
        System.out.println("BoringSSL client X25519:X25519MLKEM768: " + both);
        assertTrue(both.completed(), "a HelloRetryRequest moves a client offering both onto the hybrid group");
    }

    @Test
    void clientsWithoutMlKemAreRefused() throws Exception {
        Handshake jdk = TlsClients.jdk(TestPki.loadFrom(DIR), base.getPort(), new String[] {"TLSv1.3"}, null);
        System.out.println("JDK client TLSv1.3: " + jdk);
        assertFalse(jdk.completed(), jdk.toString());
        Assumptions.assumeTrue(TlsClients.opensslInstalled(), "openssl is not installed");
        Handshake openssl = TlsClients.openssl(base.getPort(), TlsClients.caFile(TestPki.loadFrom(DIR), DIR));
        System.out.println("openssl s_client: " + openssl);
        assertFalse(openssl.completed(), openssl.toString());
    }
}
