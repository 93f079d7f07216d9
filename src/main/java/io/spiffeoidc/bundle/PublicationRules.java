package io.spiffeoidc.bundle;

/**
 * Configured rules of one published trust domain that depend on more than a single key: the cache lifetime
 * of its documents and the key count above which relying parties start dropping keys.
 *
 * @param keysWarnThreshold above this many keys a warning is logged and the over-threshold gauge is 1;
 *                          AWS STS reads at most 100 keys of a JWKS
 */
public record PublicationRules(CacheLifetime cacheLifetime, int keysWarnThreshold) {

    public static final int DEFAULT_KEYS_WARN_THRESHOLD = 100;

    public static final PublicationRules DEFAULT = new PublicationRules(CacheLifetime.DEFAULT, DEFAULT_KEYS_WARN_THRESHOLD);
}
