package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.spiffeoidc.logging.LogSanitiser;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;

/** Turns PKIX DER public keys (as the SPIRE Server API stores JWT authorities) into JWKs. */
final class PkixKeys {

    /** The key types SPIRE's JWT key managers produce; a DER key names its algorithm, so trying each is exact. */
    private static final List<String> KEY_FACTORIES = List.of("RSA", "EC", "Ed25519");
    /** An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header followed by the 32-byte key. */
    private static final int ED25519_KEY_BYTES = 32;

    private PkixKeys() {
    }

    static JWK toJwk(JwtAuthority authority) throws BundleRefusal {
        String label = "kid \"" + LogSanitiser.clean(authority.keyId()) + "\"";
        PublicKey publicKey = decode(authority.publicKey(), label);
        if (publicKey instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).keyID(authority.keyId()).build();
        }
        if (publicKey instanceof ECPublicKey ec) {
            Curve curve = Curve.forECParameterSpec(ec.getParams());
            if (curve == null) {
                throw new BundleRefusal(RefusalReason.UNSUPPORTED_KEY, label + " is an EC key on an unsupported curve");
            }
            return new ECKey.Builder(curve, ec).keyID(authority.keyId()).build();
        }
        if (publicKey instanceof EdECPublicKey ed && "Ed25519".equals(ed.getParams().getName())) {
            byte[] encoded = ed.getEncoded();
            byte[] raw = Arrays.copyOfRange(encoded, encoded.length - ED25519_KEY_BYTES, encoded.length);
            return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).keyID(authority.keyId()).build();
        }
        throw new BundleRefusal(RefusalReason.UNSUPPORTED_KEY, label + " has unsupported key type " + publicKey.getAlgorithm());
    }

    private static PublicKey decode(byte[] der, String label) throws BundleRefusal {
        for (String algorithm : KEY_FACTORIES) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException notThisType) {
                // try the next type
            }
        }
        throw new BundleRefusal(RefusalReason.MALFORMED_KEY,
                label + " is not a PKIX-encoded RSA, EC or Ed25519 public key (" + der.length + " bytes)");
    }
}
