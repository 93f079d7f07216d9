package io.spiffeoidc.config;

import java.time.Duration;

/** How long the served keys may go unconfirmed by the source before the service reports not ready. */
public record StalenessThreshold(Duration value) {
}
