package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import io.spiffeoidc.testsupport.TestBundles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyPolicyTest {

    private static final JWK RSA = TestBundles.rsa("rsa-1");
    private static final JWK P256 = TestBundles.ec("p256-1", Curve.P_256);
    private static final JWK P384 = TestBundles.ec("p384-1", Curve.P_384);
    private static final JWK P521 = TestBundles.ec("p521-1", Curve.P_521);
    private static final JWK ED25519 = TestBundles.okp("ed-1", Curve.Ed25519);

    private static List<JWK> publishable(String document) throws BundleRefusal {
        return KeyPolicy.publishable(BundleParser.parse(document.getBytes(StandardCharsets.UTF_8)), true);
    }

    private static RefusalReason refusal(String document) {
        return assertThrows(BundleRefusal.class, () -> publishable(document)).reason();
    }

    @Test
    void derivesAlgorithmFromEachKeyTypeAndMarksSignatureUse() throws BundleRefusal {
        List<JWK> keys = publishable(TestBundles.jwks(RSA, P256, P384, P521, ED25519));
        Map<String, String> algByKid = new java.util.HashMap<>();
        for (JWK key : keys) {
            algByKid.put(key.getKeyID(), key.getAlgorithm().getName());
            assertEquals(KeyUse.SIGNATURE, key.getKeyUse());
            assertFalse(key.isPrivate());
        }
        assertEquals(Map.of("rsa-1", "RS256", "p256-1", "ES256", "p384-1", "ES384", "p521-1", "ES512", "ed-1", "EdDSA"),
                algByKid);
    }

    @Test
    void ordersKeysByKidWhateverTheInputOrder() throws BundleRefusal {
        List<JWK> keys = publishable(TestBundles.jwks(P384, RSA, ED25519, P256));
        assertEquals(List.of("ed-1", "p256-1", "p384-1", "rsa-1"), keys.stream().map(JWK::getKeyID).toList());
    }

    @Test
    void leavesUseOutWhenConfiguredOff() throws BundleRefusal {
        List<JWK> keys = KeyPolicy.publishable(BundleParser.parse(TestBundles.jwks(RSA).getBytes(StandardCharsets.UTF_8)), false);
        assertEquals(null, keys.get(0).getKeyUse());
    }

    @Test
    void readsSpiffeBundleAndIgnoresX509Authorities() throws BundleRefusal {
        Map<String, Object> x509 = TestBundles.members(TestBundles.ec("x509-ca", Curve.P_256).toPublicJWK());
        x509.put("use", "x509-svid");
        x509.remove("kid");
        Map<String, Object> jwt = TestBundles.members(RSA.toPublicJWK());
        jwt.put("use", "jwt-svid");
        String bundle = TestBundles.document(List.of(x509, jwt), 42L);
        CandidateKeys candidate = BundleParser.parse(bundle.getBytes(StandardCharsets.UTF_8));
        assertEquals(42, candidate.sequence().getAsLong());
        assertEquals(List.of("rsa-1"), KeyPolicy.publishable(candidate, true).stream().map(JWK::getKeyID).toList());
    }

    @Test
    void dropsMembersThatAreNotPublicParameters() throws BundleRefusal {
        Map<String, Object> entry = TestBundles.members(P256.toPublicJWK());
        entry.put("x5t#S256", "ignored");
        entry.put("key_ops", List.of("verify"));
        JWK key = publishable(TestBundles.document(List.of(entry), null)).get(0);
        assertEquals(java.util.Set.of("kty", "kid", "alg", "use", "crv", "x", "y"), key.toJSONObject().keySet());
    }

    @ParameterizedTest
    @ValueSource(strings = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
    void refusesAnyPrivateParameter(String member) {
        Map<String, Object> entry = TestBundles.members(RSA.toPublicJWK());
        entry.put(member, "AQAB");
        assertEquals(RefusalReason.PRIVATE_KEY_MATERIAL, refusal(TestBundles.document(List.of(entry), null)));
    }

    @Test
    void refusesFullPrivateKeysOfEveryType() {
        for (JWK key : List.of(RSA, P256, ED25519)) {
            String document = TestBundles.document(List.of(TestBundles.members(key)), null);
            assertEquals(RefusalReason.PRIVATE_KEY_MATERIAL, refusal(document), key.getKeyType().getValue());
        }
    }

    @Test
    void refusesPrivateMaterialEvenInIgnoredX509Entries() {
        Map<String, Object> x509 = TestBundles.members(TestBundles.ec("x509-ca", Curve.P_256));
        x509.put("use", "x509-svid");
        Map<String, Object> jwt = TestBundles.members(RSA.toPublicJWK());
        assertEquals(RefusalReason.PRIVATE_KEY_MATERIAL, refusal(TestBundles.document(List.of(x509, jwt), null)));
    }

    @Test
    void refusesSymmetricKeys() {
        Map<String, Object> oct = Map.of("kty", "oct", "kid", "hmac", "alg", "HS256");
        assertEquals(RefusalReason.SYMMETRIC_KEY, refusal(TestBundles.document(List.of(oct), null)));
    }

    @Test
    void refusesKeysWithoutKid() {
        Map<String, Object> entry = TestBundles.members(RSA.toPublicJWK());
        entry.remove("kid");
        assertEquals(RefusalReason.MISSING_KID, refusal(TestBundles.document(List.of(entry), null)));
    }

    @Test
    void refusesDuplicateKid() {
        JWK other = TestBundles.ec("rsa-1", Curve.P_256);
        assertEquals(RefusalReason.DUPLICATE_KID, refusal(TestBundles.jwks(RSA, other)));
    }

    @Test
    void refusesRsaUnder2048Bits() {
        assertEquals(RefusalReason.WEAK_KEY, refusal(TestBundles.jwks(TestBundles.rsa("small", 1024))));
    }

    @Test
    void refusesUnsupportedCurvesAndKeyTypes() {
        Map<String, Object> secp256k1 = TestBundles.members(P256.toPublicJWK());
        secp256k1.put("crv", "secp256k1");
        assertEquals(RefusalReason.UNSUPPORTED_KEY, refusal(TestBundles.document(List.of(secp256k1), null)));
        assertEquals(RefusalReason.UNSUPPORTED_KEY, refusal(TestBundles.jwks(TestBundles.okp("x", Curve.X25519))));
        Map<String, Object> noCurve = TestBundles.members(P256.toPublicJWK());
        noCurve.remove("crv");
        assertEquals(RefusalReason.UNSUPPORTED_KEY, refusal(TestBundles.document(List.of(noCurve), null)));
        Map<String, Object> unknown = Map.of("kty", "PQC", "kid", "future");
        assertEquals(RefusalReason.UNSUPPORTED_KEY, refusal(TestBundles.document(List.of(unknown), null)));
    }

    @Test
    void refusesPointsOffTheCurveAndBrokenEncodings() {
        Map<String, Object> offCurve = TestBundles.members(P256.toPublicJWK());
        offCurve.put("y", TestBundles.members(TestBundles.ec("other", Curve.P_256).toPublicJWK()).get("y"));
        assertEquals(RefusalReason.MALFORMED_KEY, refusal(TestBundles.document(List.of(offCurve), null)));
        Map<String, Object> noModulus = TestBundles.members(RSA.toPublicJWK());
        noModulus.remove("n");
        assertEquals(RefusalReason.MALFORMED_KEY, refusal(TestBundles.document(List.of(noModulus), null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
    void anRsaKeyKeepsEveryRsaAlgorithmOfTheJwtSvidSpec(String alg) throws BundleRefusal {
        assertEquals(alg, declared(RSA, alg).getAlgorithm().getName());
    }

    @Test
    void ecAndEdwardsKeysKeepTheOneAlgorithmTheirCurveFixes() throws BundleRefusal {
        assertEquals("ES256", declared(P256, "ES256").getAlgorithm().getName());
        assertEquals("ES384", declared(P384, "ES384").getAlgorithm().getName());
        assertEquals("ES512", declared(P521, "ES512").getAlgorithm().getName());
        assertEquals("EdDSA", declared(ED25519, "EdDSA").getAlgorithm().getName());
    }

    @Test
    void oneBundleMayMixRsaAlgorithms() throws BundleRefusal {
        Map<String, Object> ps = TestBundles.members(TestBundles.rsa("rsa-ps").toPublicJWK());
        ps.put("alg", "PS256");
        Map<String, Object> rs = TestBundles.members(TestBundles.rsa("rsa-rs").toPublicJWK());
        rs.put("alg", "RS384");
        Map<String, Object> plain = TestBundles.members(RSA.toPublicJWK());
        List<JWK> keys = publishable(TestBundles.document(List.of(ps, rs, plain), null));
        assertEquals(List.of("RS256", "PS256", "RS384"), keys.stream().map(k -> k.getAlgorithm().getName()).toList());
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa:ES256", "rsa:EdDSA", "rsa:HS256", "rsa:none", "rsa:rs256", "p256:ES384", "p256:RS256",
            "p384:ES256", "p521:ES384", "ed:ES256", "p256:PS256"})
    void refusesAnAlgorithmTheKeyCannotDo(String keyAndAlg) {
        String[] parts = keyAndAlg.split(":");
        JWK key = Map.of("rsa", RSA, "p256", P256, "p384", P384, "p521", P521, "ed", ED25519).get(parts[0]);
        Map<String, Object> entry = TestBundles.members(key.toPublicJWK());
        entry.put("alg", parts[1]);
        BundleRefusal refusal = assertThrows(BundleRefusal.class,
                () -> publishable(TestBundles.document(List.of(entry), null)));
        assertEquals(RefusalReason.ALGORITHM_MISMATCH, refusal.reason());
        assertTrue(refusal.detail().startsWith("kid \"" + key.getKeyID() + "\" declares alg \"" + parts[1] + "\" but its key ("),
                refusal.detail());
    }

    @Test
    void mismatchDetailListsWhatTheKeyCanDo() {
        Map<String, Object> entry = TestBundles.members(P256.toPublicJWK());
        entry.put("alg", "ES384");
        BundleRefusal refusal = assertThrows(BundleRefusal.class,
                () -> publishable(TestBundles.document(List.of(entry), null)));
        assertEquals("kid \"p256-1\" declares alg \"ES384\" but its key (EC/P-256) can only do [ES256]", refusal.detail());
    }

    private static JWK declared(JWK key, String alg) throws BundleRefusal {
        Map<String, Object> entry = TestBundles.members(key.toPublicJWK());
        entry.put("alg", alg);
        return publishable(TestBundles.document(List.of(entry), null)).get(0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[]", "null", "{\"keys\":{}}", "{\"keys\":[1]}", "{\"keys\":[{\"kty\":\"RSA\",",
            "{\"keys\":[], \"spiffe_sequence\": \"x\"}"})
    void refusesMalformedDocuments(String document) {
        assertEquals(RefusalReason.INVALID_JSON, refusal(document));
    }

    @Test
    void refusesInvalidUtf8() {
        byte[] document = {'{', '"', 'k', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        BundleRefusal refusal = assertThrows(BundleRefusal.class, () -> BundleParser.parse(document));
        assertEquals(RefusalReason.INVALID_JSON, refusal.reason());
    }

    @Test
    void refusesEmptyKeySets() {
        assertEquals(RefusalReason.EMPTY_KEY_SET, refusal("{\"keys\":[]}"));
        Map<String, Object> x509Only = TestBundles.members(P256.toPublicJWK());
        x509Only.put("use", "x509-svid");
        assertEquals(RefusalReason.EMPTY_KEY_SET, refusal(TestBundles.document(List.of(x509Only), null)));
    }

    @Test
    void refusesDocumentsOverTheSizeAndCountLimits() {
        byte[] large = new byte[BundleParser.MAX_DOCUMENT_BYTES + 1];
        assertEquals(RefusalReason.TOO_LARGE,
                assertThrows(BundleRefusal.class, () -> BundleParser.parse(large)).reason());
        List<Map<String, Object>> many = new ArrayList<>();
        Map<String, Object> entry = TestBundles.members(P256.toPublicJWK());
        for (int i = 0; i <= BundleParser.MAX_KEYS; i++) {
            many.add(entry);
        }
        assertEquals(RefusalReason.TOO_MANY_KEYS, refusal(TestBundles.document(many, null)));
    }
}
