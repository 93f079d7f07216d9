package io.spiffeoidc.bundle;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import io.spiffeoidc.logging.LogSanitiser;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides which candidate keys may be published, and rebuilds each from its public parameters only.
 * Any doubt refuses the whole bundle: a partial key set would make some valid tokens fail, which is
 * worse for relying parties than keeping the previous set a little longer.
 */
public final class KeyPolicy {

    /** JWK members that carry secret material (RFC 7518 section 6.3.2 and 6.4). */
    private static final List<String> SECRET_MEMBERS = List.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

    private KeyPolicy() {
    }

    /**
     * The JWT signing keys of a candidate, sorted by key id, each carrying exactly kty, kid, alg, the
     * requested use and its public parameters.
     */
    public static List<JWK> publishable(CandidateKeys candidate, boolean markSignatureUse) throws BundleRefusal {
        List<JWK> published = new ArrayList<>();
        Set<String> kids = new HashSet<>();
        for (Map<String, Object> entry : candidate.entries()) {
            String kid = stringMember(entry, "kid");
            String label = kid == null ? "(no kid)" : "kid \"" + LogSanitiser.clean(kid) + "\"";
            if ("oct".equals(entry.get("kty"))) {
                throw new BundleRefusal(RefusalReason.SYMMETRIC_KEY, label + " is a symmetric key");
            }
            for (String member : SECRET_MEMBERS) {
                if (entry.containsKey(member)) {
                    throw new BundleRefusal(RefusalReason.PRIVATE_KEY_MATERIAL,
                            label + " carries private parameter \"" + member + "\"");
                }
            }
            if (!isJwtAuthority(entry.get("use"))) {
                continue;
            }
            if (kid == null || kid.isBlank()) {
                throw new BundleRefusal(RefusalReason.MISSING_KID, "a JWT signing key has no \"kid\"");
            }
            JWK key = parse(entry, label);
            JWSAlgorithm derived = SigningAlgorithm.of(key).orElseThrow(() -> new BundleRefusal(
                    RefusalReason.UNSUPPORTED_KEY, label + " has unsupported key type or curve " + describe(key)));
            if (key instanceof RSAKey rsa && rsa.size() < SigningAlgorithm.MIN_RSA_BITS) {
                throw new BundleRefusal(RefusalReason.WEAK_KEY,
                        label + " is a " + rsa.size() + "-bit RSA key, at least " + SigningAlgorithm.MIN_RSA_BITS + " bits are required");
            }
            JWSAlgorithm alg = key.getAlgorithm() == null ? derived
                    : SigningAlgorithm.declaredAndPossible(key, key.getAlgorithm()).orElseThrow(() -> new BundleRefusal(
                            RefusalReason.ALGORITHM_MISMATCH, label + " declares alg \"" + LogSanitiser.clean(key.getAlgorithm().getName())
                                    + "\" but its key (" + describe(key) + ") can only do " + SigningAlgorithm.possible(key)));
            if (!kids.add(kid)) {
                throw new BundleRefusal(RefusalReason.DUPLICATE_KID, label + " appears more than once");
            }
            published.add(publicOnly(key, alg, markSignatureUse ? KeyUse.SIGNATURE : null));
        }
        if (published.isEmpty()) {
            throw new BundleRefusal(RefusalReason.EMPTY_KEY_SET, "bundle has no JWT signing keys");
        }
        published.sort(Comparator.comparing(JWK::getKeyID));
        return List.copyOf(published);
    }

    /** The first member of {@code entry} that carries secret key material, if any. */
    static Optional<String> secretMember(Map<String, Object> entry) {
        return SECRET_MEMBERS.stream().filter(entry::containsKey).findFirst();
    }

    /** SPIFFE bundles mark JWT authorities with use "jwt-svid"; a plain JWKS leaves it out or says "sig". */
    private static boolean isJwtAuthority(Object use) {
        return use == null || "jwt-svid".equals(use) || "sig".equals(use);
    }

    private static JWK parse(Map<String, Object> entry, String label) throws BundleRefusal {
        Object kty = entry.get("kty");
        if (!"RSA".equals(kty) && !"EC".equals(kty) && !"OKP".equals(kty)) {
            throw new BundleRefusal(RefusalReason.UNSUPPORTED_KEY,
                    label + " has unsupported key type " + (kty instanceof String s ? "\"" + LogSanitiser.clean(s) + "\"" : "(none)"));
        }
        Object crv = entry.get("crv");
        boolean supportedCurve = "RSA".equals(kty) || ("EC".equals(kty) && crv instanceof String name && SigningAlgorithm.publishedEcCurve(name))
                || ("OKP".equals(kty) && "Ed25519".equals(crv));
        if (!supportedCurve) {
            throw new BundleRefusal(RefusalReason.UNSUPPORTED_KEY, label + " uses unsupported curve "
                    + (crv instanceof String s ? "\"" + LogSanitiser.clean(s) + "\"" : "(none)"));
        }
        try {
            // Nimbus checks the encoding and, for EC keys, that the point lies on the curve.
            return JWK.parse(entry);
        } catch (ParseException | RuntimeException e) {
            throw new BundleRefusal(RefusalReason.MALFORMED_KEY, label + " is not a valid " + kty + " public key");
        }
    }

    private static JWK publicOnly(JWK key, JWSAlgorithm alg, KeyUse use) {
        if (key instanceof RSAKey rsa) {
            return new RSAKey.Builder(rsa.getModulus(), rsa.getPublicExponent())
                    .keyID(rsa.getKeyID()).algorithm(alg).keyUse(use).build();
        }
        if (key instanceof ECKey ec) {
            return new ECKey.Builder(ec.getCurve(), ec.getX(), ec.getY())
                    .keyID(ec.getKeyID()).algorithm(alg).keyUse(use).build();
        }
        OctetKeyPair okp = (OctetKeyPair) key;
        return new OctetKeyPair.Builder(okp.getCurve(), okp.getX())
                .keyID(okp.getKeyID()).algorithm(alg).keyUse(use).build();
    }

    private static String describe(JWK key) {
        Optional<String> curve = key instanceof ECKey ec ? Optional.of(ec.getCurve().getName())
                : key instanceof OctetKeyPair okp ? Optional.of(okp.getCurve().getName()) : Optional.empty();
        return key.getKeyType().getValue() + curve.map(c -> "/" + c).orElse("");
    }

    private static String stringMember(Map<String, Object> entry, String name) {
        return entry.get(name) instanceof String s ? s : null;
    }
}
