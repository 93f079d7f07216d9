package io.spiffeoidc.bundle;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;
import java.util.Optional;

/**
 * The one signature algorithm each supported key type implies. A verifier picks the algorithm from the
 * JWKS, so publishing anything but what the key can do would make valid tokens fail verification.
 */
public final class SigningAlgorithm {

    /** Fixed order for the discovery document: RS256 first (OIDC Discovery requires it), then by family. */
    public static final List<JWSAlgorithm> DISCOVERY_ORDER = List.of(
            JWSAlgorithm.RS256, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512, JWSAlgorithm.EdDSA);

    private SigningAlgorithm() {
    }

    /** The algorithm for a public key, or empty when the key type or curve is not one we publish. */
    public static Optional<JWSAlgorithm> of(JWK key) {
        if (key instanceof RSAKey) {
            return Optional.of(JWSAlgorithm.RS256);
        }
        if (key instanceof ECKey ec) {
            Curve curve = ec.getCurve();
            if (Curve.P_256.equals(curve)) {
                return Optional.of(JWSAlgorithm.ES256);
            }
            if (Curve.P_384.equals(curve)) {
                return Optional.of(JWSAlgorithm.ES384);
            }
            if (Curve.P_521.equals(curve)) {
                return Optional.of(JWSAlgorithm.ES512);
            }
            return Optional.empty();
        }
        if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            return Optional.of(JWSAlgorithm.EdDSA);
        }
        return Optional.empty();
    }
}
