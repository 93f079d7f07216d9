package io.spiffeoidc.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.ssl.OpenSsl;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Which configured groups each engine can do, probed as start-up probes them. */
class TlsEnginesTest {

    @Test
    void theJdkEngineHasNoHybridGroup() {
        assertEquals(List.of(), TlsEngines.problems(false, List.of("x25519", "secp256r1", "secp384r1", "secp521r1", "x448")));
        assertEquals(List.of("spiffe-oidc.tls.groups: X25519MLKEM768 is not supported by the JDK TLS engine"
                + " (spiffe-oidc.tls.native-engine=false)"), TlsEngines.problems(false, List.of("X25519MLKEM768", "x25519")));
    }

    @Test
    void boringSslHasX25519Mlkem768ButNotX448() {
        Assumptions.assumeTrue(OpenSsl.isAvailable(), "BoringSSL does not load here");
        assertEquals(List.of(), TlsEngines.problems(true, List.of("X25519MLKEM768", "x25519", "secp256r1", "secp384r1",
                "secp521r1")));
        assertEquals(List.of("spiffe-oidc.tls.groups: x448 is not supported by BoringSSL"),
                TlsEngines.problems(true, List.of("x25519", "x448")));
    }

    @Test
    void boringSslNamesTheNistCurvesItsOwnWay() {
        assertEquals("X25519MLKEM768:X25519:P-256:P-384:P-521",
                TlsEngines.boringSslCurves(List.of("X25519MLKEM768", "x25519", "secp256r1", "secp384r1", "secp521r1")));
    }
}
