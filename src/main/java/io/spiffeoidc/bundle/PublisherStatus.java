package io.spiffeoidc.bundle;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One trust domain's publication as health checks and metrics report it, taken whole at a state change so
 * that its parts never disagree. Ages are measured when asked for, on the publisher's clock.
 *
 * @param served           the snapshot being served, the same one HTTP answers with
 * @param applied          candidates that changed the served key set
 * @param withdrawal       why nothing is served although keys were received: every one of them
 *                         {@link Withdrawal.Cause#TAINTED tainted} or {@link Withdrawal.Cause#EXPIRED expired}
 * @param presence         whether the source still delivers the trust domain, and its ABSENT withdrawal
 * @param overKeyThreshold whether more keys are served than the configured warning threshold
 */
public record PublisherStatus(Optional<PublishedBundle> served, SourceHealth source, Refusals refusals, long applied,
        Optional<Withdrawal> withdrawal, TrustDomainPresence presence, boolean overKeyThreshold, Clock clock) {

    /** How long ago the source last confirmed the served keys; zero while a stream is up. */
    public Optional<Duration> syncAge() {
        return source.syncAge(clock.instant());
    }

    /** Since when the served key set is what it is. */
    public Optional<Duration> bundleAge() {
        return served.map(bundle -> Duration.between(bundle.appliedAt(), clock.instant()));
    }

    /** How long the source has been delivering no bundle for the trust domain. */
    public Optional<Duration> missingFor() {
        return presence.missingFor(clock.instant());
    }
}
