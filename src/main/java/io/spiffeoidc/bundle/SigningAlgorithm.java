package io.spiffeoidc.bundle;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The signature algorithms a key can do, as the JWT-SVID spec allows them: an RSA key any of RS256/384/512
 * and PS256/384/512, an EC key only the one its curve fixes, Ed25519 EdDSA. A verifier picks the algorithm
 * from the JWKS, so publishing one the key cannot do would make valid tokens fail verification.
 */
public final class SigningAlgorithm {

    /** The smallest RSA modulus published, for JWT keys and X.509 authorities alike. */
    public static final int MIN_RSA_BITS = 2048;

    /** The EC curves a published key may be on, by JWK name, each with the one algorithm it fixes. */
    private static final Map<String, JWSAlgorithm> EC_CURVES = Map.of(Curve.P_256.getName(), JWSAlgorithm.ES256,
            Curve.P_384.getName(), JWSAlgorithm.ES384, Curve.P_521.getName(), JWSAlgorithm.ES512);

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
            JWSAlgorithm fixed = ec.getCurve() == null ? null : EC_CURVES.get(ec.getCurve().getName());
            return fixed == null ? List.of() : List.of(fixed);
        }
        if (key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve())) {
            return List.of(JWSAlgorithm.EdDSA);
        }
        return List.of();
    }

    /** Whether an EC key on this curve (its JWK name, "P-256") is one that may be published. */
    public static boolean publishedEcCurve(String name) {
        return name != null && EC_CURVES.containsKey(name);
    }

    /** The declared algorithm when the key can do it; compared by name, as the JWK carries it. */
    public static Optional<JWSAlgorithm> declaredAndPossible(JWK key, Algorithm declared) {
        return possible(key).stream().filter(alg -> alg.getName().equals(declared.getName())).findFirst();
    }
}
