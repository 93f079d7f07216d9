package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CacheLifetimeTest {

    @Test
    void defaultsKeepTheConfiguredMaxAgeAsTheUpperBound() {
        CacheLifetime lifetime = CacheLifetime.of(Duration.ofSeconds(300), Optional.empty(), Optional.empty());
        assertEquals(new CacheLifetime(Duration.ofSeconds(300), Duration.ofSeconds(60), Duration.ofSeconds(300)), lifetime);
        assertEquals(300, lifetime.maxAgeSeconds(OptionalLong.empty()));
        assertEquals(300, lifetime.maxAgeSeconds(OptionalLong.of(3600)), "a hint never lengthens caching by default");
        assertEquals(90, lifetime.maxAgeSeconds(OptionalLong.of(90)));
        assertEquals(60, lifetime.maxAgeSeconds(OptionalLong.of(1)));
    }

    @Test
    void aShortConfiguredMaxAgeAlsoLowersTheDefaultMinimum() {
        CacheLifetime lifetime = CacheLifetime.of(Duration.ofSeconds(30), Optional.empty(), Optional.empty());
        assertEquals(30, lifetime.shortest().toSeconds());
        assertEquals(30, lifetime.maxAgeSeconds(OptionalLong.of(300)));
        assertEquals(0, CacheLifetime.of(Duration.ZERO, Optional.empty(), Optional.empty()).maxAgeSeconds(OptionalLong.of(60)));
    }

    @Test
    void aZeroOrNegativeHintCountsAsNone() {
        CacheLifetime lifetime = CacheLifetime.of(Duration.ofSeconds(200), Optional.of(Duration.ofSeconds(10)),
                Optional.of(Duration.ofSeconds(900)));
        assertEquals(200, lifetime.maxAgeSeconds(OptionalLong.of(0)));
        assertEquals(200, lifetime.maxAgeSeconds(OptionalLong.of(-5)));
        assertEquals(900, lifetime.maxAgeSeconds(OptionalLong.of(7200)));
        assertEquals(10, lifetime.maxAgeSeconds(OptionalLong.of(3)));
    }
}
