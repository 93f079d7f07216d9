package io.spiffeoidc.bundle;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

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
}
