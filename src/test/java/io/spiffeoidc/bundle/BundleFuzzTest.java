package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of the parser and key policy: valid bundles are mutated at the byte level and at the
 * JSON level, and every outcome must be either a refusal or a publishable, public-only, non-empty key set.
 * The seed is fixed so a failure reproduces; -Dfuzz.seed and -Dfuzz.iterations widen the search.
 */
class BundleFuzzTest {

    private static final long SEED = Long.getLong("fuzz.seed", 20261122L);
    private static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 20_000);
    private static final Set<String> SECRET_MEMBERS = Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");
    private static final Set<String> ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA");
    private static final List<String> MEMBER_NAMES = List.of("kty", "kid", "use", "alg", "crv", "x", "y", "n", "e",
            "d", "p", "q", "dp", "dq", "qi", "oth", "k", "x5c", "key_ops", "spiffe_sequence");
    private static final List<JWK> KEYS = List.of(TestBundles.rsa("r1"), TestBundles.ec("e1", Curve.P_256),
            TestBundles.ec("e2", Curve.P_384), TestBundles.ec("e3", Curve.P_521), TestBundles.okp("o1", Curve.Ed25519));

    private final Random random = new Random(SEED);

    @Test
    void everyInputIsEitherRefusedOrPublishableAndPublicOnly() {
        // Each distinct refusal is a log line by design; thousands of them would only bury the build output.
        java.util.logging.Logger publisherLog = java.util.logging.Logger.getLogger(BundlePublisher.class.getName());
        java.util.logging.Level level = publisherLog.getLevel();
        publisherLog.setLevel(java.util.logging.Level.SEVERE);
        try {
            fuzz();
        } finally {
            publisherLog.setLevel(level);
        }
    }

    private void fuzz() {
        List<String> seeds = seeds();
        BundlePublisher publisher = TestPublishers.publisher("fuzz", Clock.systemUTC());
        int accepted = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())));
            if (check(input, i)) {
                accepted++;
            }
            publisher.offerDocument(input);
            PublishedBundle served = publisher.view().served();
            if (served != null) {
                assertTrue(served.keyCount() > 0, "an empty key set was published");
                assertPublicOnly(new String(served.jwks().body(), StandardCharsets.UTF_8), i);
            }
        }
        // The mutations must leave some inputs valid, or the accepting branch was never exercised.
        assertTrue(accepted > ITERATIONS / 50, "only " + accepted + " inputs were accepted");
    }

    /** Returns whether the input was accepted; fails on any outcome but a refusal or a sound key set. */
    private boolean check(byte[] input, int iteration) {
        List<JWK> keys;
        try {
            keys = KeyPolicy.publishable(BundleParser.parse(input), true);
        } catch (BundleRefusal refusal) {
            return false;
        } catch (RuntimeException | StackOverflowError e) {
            fail("iteration " + iteration + " (seed " + SEED + ") threw " + e + " for input "
                    + new String(input, StandardCharsets.UTF_8), e);
            return false;
        }
        assertFalse(keys.isEmpty(), "accepted an empty key set");
        assertFalse(containsSecretMember(input), "accepted an input carrying a private parameter: "
                + new String(input, StandardCharsets.UTF_8));
        Set<String> kids = new HashSet<>();
        for (JWK key : keys) {
            assertFalse(key.isPrivate());
            assertTrue(ALGORITHMS.contains(key.getAlgorithm().getName()));
            assertTrue(kids.add(key.getKeyID()), "duplicate kid accepted");
        }
        return true;
    }

    private static void assertPublicOnly(String jwks, int iteration) {
        try {
            for (Object entry : JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(jwks), "keys")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> members = (Map<String, Object>) entry;
                for (String secret : SECRET_MEMBERS) {
                    assertFalse(members.containsKey(secret), "iteration " + iteration + " published " + secret);
                }
            }
        } catch (ParseException e) {
            fail("published bytes are not JSON", e);
        }
    }

    private static boolean containsSecretMember(byte[] input) {
        try {
            Object keys = JSONObjectUtils.parse(new String(input, StandardCharsets.UTF_8)).get("keys");
            if (keys instanceof List<?> list) {
                for (Object entry : list) {
                    if (entry instanceof Map<?, ?> map && map.keySet().stream().anyMatch(SECRET_MEMBERS::contains)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    private static List<String> seeds() {
        List<String> seeds = new ArrayList<>();
        seeds.add(TestBundles.jwks(KEYS.toArray(JWK[]::new)));
        seeds.add(TestBundles.spiffeBundle(3, KEYS.get(0), KEYS.get(1)));
        seeds.add(TestBundles.jwks(KEYS.get(2)));
        seeds.add(TestBundles.document(List.of(TestBundles.members(KEYS.get(1))), null));
        Map<String, Object> x509 = TestBundles.members(KEYS.get(1).toPublicJWK());
        x509.put("use", "x509-svid");
        seeds.add(TestBundles.document(List.of(x509, TestBundles.members(KEYS.get(4).toPublicJWK())), 9L));
        return seeds;
    }

    private byte[] mutate(String seed) {
        int rounds = 1 + random.nextInt(3);
        String text = seed;
        for (int r = 0; r < rounds; r++) {
            text = random.nextInt(3) == 0 ? mutateBytes(text) : mutateJson(text);
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private String mutateBytes(String text) {
        if (text.isEmpty()) {
            return "{";
        }
        StringBuilder out = new StringBuilder(text);
        int at = random.nextInt(out.length());
        switch (random.nextInt(5)) {
            case 0 -> out.setLength(at);
            case 1 -> out.setCharAt(at, (char) random.nextInt(128));
            case 2 -> out.insert(at, "{[\"\\:,0-eE\u00e9\u0000".charAt(random.nextInt(12)));
            case 3 -> out.delete(at, Math.min(out.length(), at + 1 + random.nextInt(20)));
            default -> out.insert(at, out.substring(at, Math.min(out.length(), at + random.nextInt(40))));
        }
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private String mutateJson(String text) {
        Map<String, Object> root;
        try {
            root = new LinkedHashMap<>(JSONObjectUtils.parse(text));
        } catch (ParseException | RuntimeException e) {
            return mutateBytes(text);
        }
        Object keysValue = root.get("keys");
        if (!(keysValue instanceof List<?>)) {
            root.put("keys", randomValue());
            return JSONObjectUtils.toJSONString(root);
        }
        List<Object> keys = new ArrayList<>((List<Object>) keysValue);
        switch (random.nextInt(6)) {
            case 0 -> {
                if (!keys.isEmpty()) {
                    keys.remove(random.nextInt(keys.size()));
                }
            }
            case 1 -> {
                if (!keys.isEmpty()) {
                    keys.add(keys.get(random.nextInt(keys.size())));
                }
            }
            case 2 -> keys.add(randomValue());
            case 3 -> root.put(random.nextBoolean() ? "spiffe_sequence" : "spiffe_refresh_hint", randomValue());
            default -> {
                if (!keys.isEmpty()) {
                    int index = random.nextInt(keys.size());
                    if (keys.get(index) instanceof Map<?, ?> entry) {
                        keys.set(index, mutateMember(new LinkedHashMap<>((Map<String, Object>) entry)));
                    }
                }
            }
        }
        root.put("keys", keys);
        return JSONObjectUtils.toJSONString(root);
    }

    private Map<String, Object> mutateMember(Map<String, Object> entry) {
        String name = MEMBER_NAMES.get(random.nextInt(MEMBER_NAMES.size()));
        switch (random.nextInt(4)) {
            case 0 -> entry.remove(name);
            case 1 -> entry.put(name, randomValue());
            case 2 -> {
                // Swap a parameter in from another key: wrong lengths, points off the curve, mixed types.
                Map<String, Object> other = KEYS.get(random.nextInt(KEYS.size())).toJSONObject();
                if (other.containsKey(name)) {
                    entry.put(name, other.get(name));
                }
            }
            default -> entry.put(name, List.of("RSA", "EC", "OKP", "oct", "P-256", "P-384", "P-521", "Ed25519",
                    "X25519", "secp256k1", "jwt-svid", "x509-svid", "sig", "enc", "RS256", "ES256", "none", "").get(random.nextInt(18)));
        }
        return entry;
    }

    private Object randomValue() {
        return switch (random.nextInt(8)) {
            case 0 -> null;
            case 1 -> random.nextLong();
            case 2 -> random.nextDouble() * 1e300;
            case 3 -> List.of(random.nextInt(), "x");
            case 4 -> Map.of("nested", Map.of("deeper", List.of()));
            case 5 -> Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(1 + random.nextInt(600)));
            case 6 -> "";
            default -> random.nextBoolean();
        };
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    @Test
    void deeplyNestedDocumentsAreRefusedNotCrashed() {
        String nested = "[".repeat(100_000) + "]".repeat(100_000);
        assertEquals(RefusalReason.INVALID_JSON, refusalOf("{\"keys\":" + nested + "}"));
        assertEquals(RefusalReason.INVALID_JSON, refusalOf("{\"keys\":[" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000) + "]}"));
    }

    private static RefusalReason refusalOf(String document) {
        try {
            KeyPolicy.publishable(BundleParser.parse(document.getBytes(StandardCharsets.UTF_8)), true);
            return null;
        } catch (BundleRefusal refusal) {
            return refusal.reason();
        }
    }
}
