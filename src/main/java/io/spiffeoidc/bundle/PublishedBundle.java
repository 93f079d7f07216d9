package io.spiffeoidc.bundle;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.vertx.core.http.HttpHeaders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The immutable, validated key set being served, with everything a response needs prepared once.
 * The HTTP side reads one reference to this object per request and writes its bytes.
 */
public final class PublishedBundle {

    /** Derived issuers are per Host header; the allow-list bounds the hosts but not the ports clients send. */
    private static final int MAX_CACHED_DISCOVERY_DOCUMENTS = 64;

    private final List<JWK> keys;
    private final List<String> keyIds;
    private final List<String> algorithms;
    private final PreparedDocument jwks;
    private final Instant appliedAt;
    private final OptionalLong sequence;
    private final OptionalLong refreshHint;
    private final long maxAgeSeconds;
    private final CharSequence cacheControl;
    /** Key id to the instant the key stops being publishable; keys without an expiry are absent. */
    private final Map<String, Instant> expiries;
    private final Map<IssuerPair, PreparedDocument> discoveryByIssuer = new ConcurrentHashMap<>();
    /** Null unless the trust domain serves its SPIFFE bundle and its X.509 authorities are known. */
    private final X509Authorities x509;
    private final PreparedDocument spiffeBundle;

    PublishedBundle(List<JWK> keys, Map<String, Instant> expiries, Instant appliedAt, OptionalLong sequence,
            OptionalLong refreshHint, long maxAgeSeconds, X509Authorities x509) {
        this.keys = List.copyOf(keys);
        this.expiries = Map.copyOf(expiries);
        this.keyIds = this.keys.stream().map(JWK::getKeyID).toList();
        this.jwks = PreparedDocument.of(jwksJson(this.keys));
        this.x509 = x509;
        this.spiffeBundle = x509 == null ? null : PreparedDocument.of(spiffeBundleJson(this.keys, x509, sequence, refreshHint));
        this.appliedAt = appliedAt;
        this.sequence = sequence;
        this.refreshHint = refreshHint;
        this.maxAgeSeconds = maxAgeSeconds;
        this.cacheControl = HttpHeaders.createOptimized("public, max-age=" + maxAgeSeconds);
        Set<JWSAlgorithm> inUse = this.keys.stream().map(k -> JWSAlgorithm.parse(k.getAlgorithm().getName()))
                .collect(Collectors.toSet());
        this.algorithms = SigningAlgorithm.DISCOVERY_ORDER.stream()
                .filter(inUse::contains)
                .map(JWSAlgorithm::getName)
                .toList();
    }

    public PreparedDocument jwks() {
        return jwks;
    }

    /**
     * The trust domain's SPIFFE bundle (X.509 and JWT authorities, sequence and refresh hint), or null while
     * its X.509 authorities are unknown or when its bundle endpoint is off.
     */
    public PreparedDocument spiffeBundle() {
        return spiffeBundle;
    }

    /** The same key set with other X.509 authorities: the JWKS bytes and ETag stay the same. */
    PublishedBundle withX509(X509Authorities authorities) {
        return new PublishedBundle(keys, expiries, appliedAt, sequence, refreshHint, maxAgeSeconds, authorities);
    }

    X509Authorities x509() {
        return x509;
    }

    /** The discovery document for one issuer/jwks_uri pair, rendered on first use and kept with this key set. */
    public PreparedDocument discovery(String issuer, String jwksUri) {
        // The caller hands the same string instances for the same host (IssuerResolver keeps them), whose
        // hashes are cached: the lookup computes nothing, and the key object does not outlive it.
        IssuerPair cacheKey = new IssuerPair(issuer, jwksUri);
        PreparedDocument cached = discoveryByIssuer.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        PreparedDocument rendered = PreparedDocument.of(discoveryJson(issuer, jwksUri));
        if (discoveryByIssuer.size() < MAX_CACHED_DISCOVERY_DOCUMENTS) {
            discoveryByIssuer.putIfAbsent(cacheKey, rendered);
        }
        return rendered;
    }

    private record IssuerPair(String issuer, String jwksUri) {
    }

    public List<String> keyIds() {
        return keyIds;
    }

    /**
     * Algorithms advertised in the discovery document: exactly those of the served keys. Verifiers built on
     * go-oidc, jose and others turn this list into their allow-list, so an algorithm no key uses would only
     * widen it.
     */
    public List<String> algorithms() {
        return algorithms;
    }

    public int keyCount() {
        return keys.size();
    }

    public Instant appliedAt() {
        return appliedAt;
    }

    public OptionalLong sequence() {
        return sequence;
    }

    /** The bundle's spiffe_refresh_hint in seconds, when it had one. */
    public OptionalLong refreshHint() {
        return refreshHint;
    }

    public long maxAgeSeconds() {
        return maxAgeSeconds;
    }

    /** The Cache-Control value of both documents, encoded once per key set. */
    public CharSequence cacheControl() {
        return cacheControl;
    }

    boolean sameKeysAs(List<JWK> other) {
        return keys.equals(other);
    }

    List<JWK> keys() {
        return keys;
    }

    Map<String, Instant> expiries() {
        return expiries;
    }

    /** When the first of the served keys expires, if any does. */
    Optional<Instant> nextExpiry() {
        return expiries.values().stream().min(Instant::compareTo);
    }

    private static String jwksJson(List<JWK> keys) {
        List<Map<String, Object>> entries = new ArrayList<>(keys.size());
        for (JWK key : keys) {
            // Sorted members make the bytes (and so the ETag) a function of the key set alone.
            entries.add(new TreeMap<>(key.toJSONObject()));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("keys", guarded(entries));
        return JSONObjectUtils.toJSONString(root);
    }

    /**
     * The SPIFFE bundle format (SPIFFE Trust Domain and Bundle, section 4): X.509 authorities first, then the
     * JWT authorities with use "jwt-svid" and without "alg", which the format does not define for them.
     */
    private static String spiffeBundleJson(List<JWK> keys, X509Authorities x509, OptionalLong sequence,
            OptionalLong refreshHint) {
        List<Map<String, Object>> entries = new ArrayList<>(x509.members());
        for (JWK key : keys) {
            Map<String, Object> member = new TreeMap<>(key.toJSONObject());
            member.remove("alg");
            member.put("use", "jwt-svid");
            entries.add(member);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("keys", guarded(entries));
        refreshHint.ifPresent(hint -> root.put("spiffe_refresh_hint", hint));
        sequence.ifPresent(number -> root.put("spiffe_sequence", number));
        return JSONObjectUtils.toJSONString(root);
    }

    /**
     * Every member is rebuilt from public parameters before it gets here; this holds that line for every
     * document served, whatever a future change to the rebuilding does.
     */
    private static List<Map<String, Object>> guarded(List<Map<String, Object>> entries) {
        for (Map<String, Object> entry : entries) {
            KeyPolicy.secretMember(entry).ifPresent(member -> {
                throw new IllegalStateException("refusing to serve a key with private member \"" + member + "\"");
            });
        }
        return entries;
    }

    private String discoveryJson(String issuer, String jwksUri) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", issuer);
        doc.put("jwks_uri", jwksUri);
        doc.put("response_types_supported", List.of("id_token"));
        doc.put("subject_types_supported", List.of("public"));
        doc.put("id_token_signing_alg_values_supported", algorithms);
        return JSONObjectUtils.toJSONString(doc);
    }
}
