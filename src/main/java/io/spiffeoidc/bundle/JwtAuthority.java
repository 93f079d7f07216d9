package io.spiffeoidc.bundle;

import java.time.Instant;
import java.util.Optional;

/**
 * A JWT authority as a source that stores keys itself reports it (the SPIRE Server API): key id, PKIX DER
 * public key, expiry, and whether the operator has tainted it. The source passes every authority as it
 * came; whether each may be published, now and later, is decided by the publisher alone.
 */
public record JwtAuthority(String keyId, byte[] publicKey, Optional<Instant> expiresAt, boolean tainted) {

    public JwtAuthority {
        publicKey = publicKey.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }
}
