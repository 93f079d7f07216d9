package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.testsupport.TestPki;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which keys an X.509 authority may have: the curves and RSA sizes JWT keys may have, no other. */
class X509AuthoritiesTest {

    @Test
    void aCaOnEachPublishedCurveIsAnAuthority() throws BundleRefusal {
        for (String curve : List.of("secp256r1", "secp384r1", "secp521r1")) {
            X509Authorities authorities = X509Authorities.of(List.of(TestPki.der(TestPki.authorityOnCurve(curve, curve))));
            assertEquals(List.of("CN=" + curve + ",O=SPIFFE"), authorities.subjects(), curve);
        }
    }

    @Test
    void aCaOnACurveNoJwtKeyMayUseIsRefused() {
        BundleRefusal refused = assertThrows(BundleRefusal.class, () -> X509Authorities.of(List.of(
                TestPki.der(TestPki.authorityOnCurve("k1", "secp256k1")))));
        assertEquals(RefusalReason.UNSUPPORTED_KEY, refused.reason());
        assertTrue(refused.detail().endsWith("X.509 authorities must be RSA or EC P-256/P-384/P-521"), refused.detail());
    }
}
