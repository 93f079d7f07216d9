package io.spiffeoidc.reliability;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.TestBundles;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Bundle versions published during a run. Version n holds keys n and n+1 (the overlap of a real rotation),
 * and every third version also a P-384 key, so the discovery document's algorithm list changes too. A
 * served body matches a version only if its key IDs and every public parameter are exactly that version's.
 */
final class Versions {

    /** Members that must never reach a served JWKS. */
    static final List<String> PRIVATE_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    record Version(int number, String jwks, String canonical, Set<String> algorithms, List<JWK> keys) {
    }

    private final String prefix;
    private final Map<Integer, JWK> keys = new ConcurrentHashMap<>();
    private final Map<String, Integer> byCanonical = new ConcurrentHashMap<>();
    private final Map<Set<String>, Boolean> algorithmSets = new ConcurrentHashMap<>();
    private final List<Version> all = new CopyOnWriteArrayList<>();

    Versions(String prefix) {
        this.prefix = prefix;
    }

    private JWK key(int index) {
        return keys.computeIfAbsent(index, i -> TestBundles.ec(prefix + "-k" + i, Curve.P_256));
    }

    /** Builds version n; it is only recognised after {@link #publish(Version)}. */
    Version build(int n) {
        List<JWK> set = new ArrayList<>(List.of(key(n), key(n + 1)));
        if (n % 3 == 0) {
            set.add(TestBundles.ec(prefix + "-p384-" + n, Curve.P_384));
        }
        String jwks = TestBundles.jwks(set.toArray(JWK[]::new));
        Set<String> algorithms = new TreeSet<>(Set.of("ES256"));
        if (n % 3 == 0) {
            algorithms.add("ES384");
        }
        try {
            return new Version(n, jwks, canonical(jwks), algorithms, set);
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Marks the version as one that may be served from now on. */
    Version publish(Version version) {
        byCanonical.put(version.canonical(), version.number());
        algorithmSets.put(version.algorithms(), true);
        all.add(version);
        return version;
    }

    Version latest() {
        return all.get(all.size() - 1);
    }

    List<Version> all() {
        return all;
    }

    /** The version a served /keys body is exactly equal to, or null (mixed, empty, unknown or malformed). */
    Integer match(String body) {
        try {
            return byCanonical.get(canonical(body));
        } catch (ParseException | RuntimeException e) {
            return null;
        }
    }

    /** Whether a discovery document is well formed for this issuer and lists the algorithms of some published version. */
    boolean discoveryMatches(String body, String issuer) {
        try {
            Map<String, Object> document = JSONObjectUtils.parse(body);
            if (!issuer.equals(document.get("issuer")) || !(issuer + "/keys").equals(document.get("jwks_uri"))) {
                return false;
            }
            List<?> algorithms = (List<?>) document.get("id_token_signing_alg_values_supported");
            Set<String> set = new TreeSet<>();
            algorithms.forEach(a -> set.add(String.valueOf(a)));
            return algorithmSets.containsKey(set);
        } catch (ParseException | RuntimeException e) {
            return false;
        }
    }

    /** kid-ordered public parameters; refuses private members and empty sets. */
    static String canonical(String jwks) throws ParseException {
        Map<String, Object> root = JSONObjectUtils.parse(jwks);
        List<Object> entries = JSONObjectUtils.getJSONArray(root, "keys");
        if (entries == null || entries.isEmpty()) {
            throw new ParseException("empty key set", 0);
        }
        TreeMap<String, String> byKid = new TreeMap<>();
        for (Object entry : entries) {
            @SuppressWarnings("unchecked")
            Map<String, Object> key = (Map<String, Object>) entry;
            for (String member : PRIVATE_MEMBERS) {
                if (key.containsKey(member)) {
                    throw new ParseException("private member " + member, 0);
                }
            }
            String kid = String.valueOf(key.get("kid"));
            StringBuilder parameters = new StringBuilder();
            for (String member : List.of("kty", "crv", "x", "y", "n", "e")) {
                parameters.append(member).append('=').append(key.get(member)).append(';');
            }
            if (byKid.put(kid, parameters.toString()) != null) {
                throw new ParseException("duplicate kid " + kid, 0);
            }
        }
        return byKid.toString();
    }
}
