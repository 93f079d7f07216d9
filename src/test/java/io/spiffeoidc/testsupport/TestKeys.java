package io.spiffeoidc.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Fresh signing keys and the JWKS documents a SPIRE agent would send for them. */
public final class TestKeys {

    /** SubjectPublicKeyInfo header of every Ed25519 key (RFC 8410); the 32-byte key follows. */
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private TestKeys() {
    }

    public static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static RSAKey rsa(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Nimbus generates Ed25519 keys only with Tink on the class path; the JDK can do it alone. */
    public static OctetKeyPair ed25519(String kid) {
        try {
            byte[] spki = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
            byte[] raw = Arrays.copyOfRange(spki, ED25519_SPKI_PREFIX.length, spki.length);
            return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(raw)).keyID(kid).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKIX DER of a public key, as SPIRE stores JWT authorities. */
    public static byte[] pkixDer(JWK key) {
        try {
            if (key instanceof OctetKeyPair okp) {
                byte[] raw = okp.getX().decode();
                byte[] der = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + raw.length);
                System.arraycopy(raw, 0, der, ED25519_SPKI_PREFIX.length, raw.length);
                return der;
            }
            return ((AsymmetricJWK) key).toPublicKey().getEncoded();
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The public JWKS, as the Workload API carries it. */
    public static String jwks(JWK... keys) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (JWK key : keys) {
            entries.add(key.toPublicJWK().toJSONObject());
        }
        return JSONObjectUtils.toJSONString(Map.of("keys", entries));
    }

    /** A JWKS that leaks the private parts, which must never be published. */
    public static String jwksWithPrivateParts(JWK... keys) {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (JWK key : keys) {
            entries.add(key.toJSONObject());
        }
        return JSONObjectUtils.toJSONString(Map.of("keys", entries));
    }
}
