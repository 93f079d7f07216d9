package io.spiffeoidc.bundle;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How long relying parties may cache the documents of one key set: the bundle's {@code spiffe_refresh_hint}
 * bounded by {@code shortest} and {@code longest}, or {@code withoutHint} when the bundle has none (every
 * bundle from the Workload API, which sends plain JWKS). A function of the bundle and the configuration
 * only, so every replica serving the same bundle sends the same max-age.
 */
public record CacheLifetime(Duration withoutHint, Duration shortest, Duration longest) {

    /** SPIRE's own floor for refresh hints, and above the 30 s refetch limits of jose and Nimbus. */
    static final Duration DEFAULT_SHORTEST = Duration.ofMinutes(1);

    public static final CacheLifetime DEFAULT = of(Duration.ofMinutes(5), Optional.empty(), Optional.empty());

    /**
     * The bounds default to the configured max-age above and one minute below (or the upper bound when that
     * is shorter), so a configuration that only sets the max-age keeps working as it did.
     */
    public static CacheLifetime of(Duration withoutHint, Optional<Duration> shortest, Optional<Duration> longest) {
        Duration upper = longest.orElse(withoutHint);
        Duration lower = shortest.orElse(DEFAULT_SHORTEST.compareTo(upper) < 0 ? DEFAULT_SHORTEST : upper);
        return new CacheLifetime(withoutHint, lower, upper);
    }

    /** max-age in seconds for a bundle with this refresh hint (seconds; SPIRE treats zero or less as none). */
    public long maxAgeSeconds(OptionalLong refreshHint) {
        if (refreshHint.isEmpty() || refreshHint.getAsLong() <= 0) {
            return withoutHint.toSeconds();
        }
        return Math.max(shortest.toSeconds(), Math.min(longest.toSeconds(), refreshHint.getAsLong()));
    }
}
