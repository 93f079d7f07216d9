package io.spiffeoidc.bundle;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;
import java.util.Optional;

/**
 * The signature algorithms a key can do, as the JWT-SVID spec allows them: an RSA key any of RS256/384/512
 * and PS256/384/512, an EC key only the one its curve fixes, Ed25519 EdDSA. A verifier picks the algorithm
 * from the JWKS, so publishing one the key cannot do would make valid tokens fail verification.
 */
public final class SigningAlgorithm {

    private static final List<JWSAlgorithm> RSA = List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512);

    /** Fixed order for the discovery document, so its bytes depend on the set of algorithms alone. */
    public static final List<JWSAlgorithm> DISCOVERY_ORDER = List.of(
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512, JWSAlgorithm.EdDSA);

    private SigningAlgorithm() {
    }

    /**
     * The algorithm a key without a declared {@code alg} is published with: RS256 for RSA (what SPIRE signs
     * with), otherwise the only one the key can do. Empty when the key type or curve is not one we publish.
     */
    public static Optional<JWSAlgorithm> of(JWK key) {
        List<JWSAlgorithm> possible = possible(key);
        return possible.isEmpty() ? Optional.empty() : Optional.of(possible.get(0));
    }

    /** Every algorithm the key can sign with, the default first; empty for a type or curve we do not publish. */
    public static List<JWSAlgorithm> possible(JWK key) {
        if (key instanceof RSAKey) {
            return RSA;
        }
        if (key instanceof ECKey ec) {
            Curve curve = ec.getCurve();
            if (Curve.P_256.equals(curve)) {
                return List.of(JWSAlgorithm.ES256);
            }
            if (Curve.P_384.equals(curve)) {
                return List.of(JWSAlgorithm.ES384);
            }
            if (Curve.P_521.equals(curve)) {
                return List.of(JWSAlgorithm.ES512);
            }
            return List.of();
        }
        if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            return List.of(JWSAlgorithm.EdDSA);
        }
        return List.of();
    }

    /** The declared algorithm when the key can do it; compared by name, as the JWK carries it. */
    public static Optional<JWSAlgorithm> declaredAndPossible(JWK key, Algorithm declared) {
        return possible(key).stream().filter(alg -> alg.getName().equals(declared.getName())).findFirst();
    }
}
