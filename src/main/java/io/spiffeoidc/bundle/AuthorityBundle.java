package io.spiffeoidc.bundle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A bundle as a source that lists its authorities itself reports it (the SPIRE Server API sends DER keys
 * with expiry and taint, not JWKS). One candidate: its JWT and X.509 authorities are published together.
 *
 * @param jwtAuthorities  every JWT authority, tainted and expired ones included: the publisher decides what
 *                        is served, now and later
 * @param x509Authorities the X.509 authorities when the source asked for them, each element one or more
 *                        ASN.1 DER certificates back to back
 * @param sequence        the bundle's sequence number, when the source has one
 * @param refreshHint     the bundle's refresh hint in seconds, when the source has one
 */
public record AuthorityBundle(List<JwtAuthority> jwtAuthorities, Optional<List<byte[]>> x509Authorities,
        OptionalLong sequence, OptionalLong refreshHint) {

    public AuthorityBundle {
        jwtAuthorities = List.copyOf(jwtAuthorities);
        x509Authorities = x509Authorities.map(List::copyOf);
    }

    /** The key ids of the tainted JWT authorities, sorted. */
    Set<String> taintedKeyIds() {
        return jwtAuthorities.stream().filter(JwtAuthority::tainted).map(JwtAuthority::keyId)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** The untainted JWT authorities as JWK entries, for the same checks as every other candidate's. */
    CandidateKeys untainted() throws BundleRefusal {
        List<Map<String, Object>> entries = new ArrayList<>(jwtAuthorities.size());
        for (JwtAuthority authority : jwtAuthorities) {
            if (!authority.tainted()) {
                entries.add(PkixKeys.toJwk(authority).toJSONObject());
            }
        }
        return new CandidateKeys(entries, sequence, refreshHint);
    }

    /** When each untainted JWT authority that has an expiry stops being publishable, by key id. */
    Map<String, Instant> expiries() {
        Map<String, Instant> expiries = new HashMap<>();
        for (JwtAuthority authority : jwtAuthorities) {
            if (!authority.tainted()) {
                authority.expiresAt().ifPresent(at -> expiries.put(authority.keyId(), at));
            }
        }
        return expiries;
    }
}
