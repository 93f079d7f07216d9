package io.spiffeoidc.storage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * One target's publication as metrics and health report it, replaced whole at each change.
 *
 * @param lastPublished when the store last took a write of this instance's documents
 * @param publications  documents sets written (the JWKS and whatever changed with it)
 * @param failures      failed store operations by reason, every attempt counted
 * @param conflictsLost writes refused because another writer changed the object first
 * @param behindSince   since when the validated snapshot has differed from what this instance confirmed in
 *                      the store; empty while they agree (and on an instance standing by)
 */
public record TargetStatus(Phase phase, Optional<Instant> lastPublished, long publications,
        Map<StoreException.Reason, Long> failures, long conflictsLost, boolean leaseHeld, Optional<Instant> behindSince,
        Clock clock) {

    public enum Phase {
        /** No key set validated yet. */
        WAITING_FOR_KEYS,
        /** The store holds the served snapshot. */
        CURRENT,
        /** Another instance holds the lease and writes. */
        STANDING_BY,
        /** The store holds a key set this instance has not validated: waiting for its own source, up to adopt-after. */
        CATCHING_UP,
        /** The store failed; retrying with backoff. */
        FAILING
    }

    public TargetStatus {
        failures = Map.copyOf(failures);
    }

    static TargetStatus initial(Clock clock) {
        return new TargetStatus(Phase.WAITING_FOR_KEYS, Optional.empty(), 0, Map.of(), 0, false, Optional.empty(), clock);
    }

    public long failures(StoreException.Reason reason) {
        return failures.getOrDefault(reason, 0L);
    }

    /** Seconds the store has lagged behind the validated snapshot; zero while it is current. */
    public double behindSeconds() {
        return behindSince.map(since -> Duration.between(since, clock.instant()).toMillis() / 1000.0).orElse(0.0);
    }

    TargetStatus with(Phase next) {
        return new TargetStatus(next, lastPublished, publications, failures, conflictsLost, leaseHeld, behindSince, clock);
    }

    TargetStatus published(Instant at) {
        return new TargetStatus(Phase.CURRENT, Optional.of(at), publications + 1, failures, conflictsLost, leaseHeld,
                Optional.empty(), clock);
    }

    TargetStatus current() {
        return new TargetStatus(Phase.CURRENT, lastPublished, publications, failures, conflictsLost, leaseHeld,
                Optional.empty(), clock);
    }

    TargetStatus failed(StoreException.Reason reason) {
        Map<StoreException.Reason, Long> counted = new EnumMap<>(StoreException.Reason.class);
        counted.putAll(failures);
        counted.merge(reason, 1L, Long::sum);
        return new TargetStatus(Phase.FAILING, lastPublished, publications, counted, conflictsLost, leaseHeld, behindSince,
                clock);
    }

    TargetStatus conflictLost() {
        return new TargetStatus(phase, lastPublished, publications, failures, conflictsLost + 1, leaseHeld, behindSince, clock);
    }

    TargetStatus lease(boolean held) {
        return new TargetStatus(phase, lastPublished, publications, failures, conflictsLost, held, behindSince, clock);
    }

    /** Another instance writes: this one is not behind, whatever its own snapshot. */
    TargetStatus standingBy() {
        return new TargetStatus(Phase.STANDING_BY, lastPublished, publications, failures, conflictsLost, false,
                Optional.empty(), clock);
    }

    TargetStatus behind(Instant since) {
        return new TargetStatus(phase, lastPublished, publications, failures, conflictsLost, leaseHeld,
                Optional.of(behindSince.orElse(since)), clock);
    }
}
