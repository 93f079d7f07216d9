package io.spiffeoidc.bundle;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether the source still delivers this trust domain. A trust domain the source answers for without a
 * bundle is absent: its last good keys stay served through the grace period, then an
 * {@link Withdrawal.Cause#ABSENT} withdrawal hides them until a valid bundle for it arrives. Immutable.
 *
 * @param absentSince when the source stopped delivering the trust domain, while it does not
 * @param withdrawal  the ABSENT withdrawal, once the absence outlived the grace period
 */
public record TrustDomainPresence(Optional<Instant> absentSince, Optional<Withdrawal> withdrawal) {

    static final TrustDomainPresence PRESENT = new TrustDomainPresence(Optional.empty(), Optional.empty());

    /** Whether its keys are withdrawn because it has been missing for longer than the grace period. */
    public boolean withdrawn() {
        return withdrawal.isPresent();
    }

    public Optional<Duration> missingFor(Instant now) {
        return absentSince.map(since -> Duration.between(since, now));
    }

    /** The grace period runs from the first absence, not the latest. */
    TrustDomainPresence absent(Instant now) {
        return absentSince.isPresent() ? this : new TrustDomainPresence(Optional.of(now), withdrawal);
    }

    /** The ABSENT withdrawal when the absence has just outlived {@code grace}, else empty. */
    Optional<Withdrawal> pastGrace(Duration grace, String source, Instant now) {
        Optional<Duration> missing = missingFor(now);
        if (missing.isEmpty() || withdrawn() || missing.get().compareTo(grace) < 0) {
            return Optional.empty();
        }
        return Optional.of(new Withdrawal(Withdrawal.Cause.ABSENT, "missing from " + source + " for "
                + missing.get().toSeconds() + " s, longer than the grace period of " + grace.toSeconds() + " s"));
    }

    TrustDomainPresence withdraw(Withdrawal absent) {
        return new TrustDomainPresence(absentSince, Optional.of(absent));
    }
}
