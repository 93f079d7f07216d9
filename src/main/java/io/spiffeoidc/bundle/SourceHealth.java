package io.spiffeoidc.bundle;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The key source's connection as the source last reported it, and when it last confirmed the served keys.
 * Immutable: the publisher replaces it on every report.
 *
 * @param streaming   whether the source pushes every change while it is up
 * @param lastError   the latest error the source reported, sanitised for logs and health data
 * @param lastContact when the source last answered with a candidate, a repeat, a refusal or an absence
 * @param downSince   when the source went down, while it is down
 */
public record SourceHealth(SourceState state, boolean streaming, Optional<String> lastError,
        Optional<Instant> lastContact, Optional<Instant> downSince) {

    static final SourceHealth STARTING = new SourceHealth(SourceState.STARTING, false, Optional.empty(),
            Optional.empty(), Optional.empty());

    public boolean up() {
        return state == SourceState.UP;
    }

    SourceHealth up(boolean streaming) {
        return new SourceHealth(SourceState.UP, streaming, lastError, lastContact, Optional.empty());
    }

    SourceHealth contact(Instant now) {
        return new SourceHealth(state, streaming, lastError, Optional.of(now), downSince);
    }

    SourceHealth down(String error, Instant now) {
        // A stream delivered every change up to this moment, so the keys were current until now.
        Optional<Instant> contact = up() && streaming && lastContact.isPresent() ? Optional.of(now) : lastContact;
        return new SourceHealth(SourceState.DOWN, streaming, Optional.of(error), contact,
                state == SourceState.DOWN ? downSince : Optional.of(now));
    }

    /**
     * How long ago the source last confirmed the served keys: zero while a stream is up, because the other
     * end pushes every change; empty before the first confirmation.
     */
    public Optional<Duration> syncAge(Instant now) {
        if (up() && streaming && lastContact.isPresent()) {
            return Optional.of(Duration.ZERO);
        }
        return lastContact.map(contact -> Duration.between(contact, now));
    }
}
