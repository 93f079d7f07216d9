package io.spiffeoidc.source;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnect delays that double up to a cap. Each delay is drawn from the upper half of the current step,
 * so many replicas restarted together with their agent do not reconnect in lockstep, while the delay
 * still grows. Not thread-safe: each source uses it from its one worker thread.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private long stepMillis;

    public Backoff(Duration initial, Duration max) {
        if (initial.toMillis() < 1 || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.stepMillis = initialMillis;
    }

    /** The delay before the next attempt; each call doubles the following one, up to the cap. */
    public Duration next() {
        long step = stepMillis;
        stepMillis = Math.min(step * 2, maxMillis);
        long half = step / 2;
        return Duration.ofMillis(step - half + ThreadLocalRandom.current().nextLong(half + 1));
    }

    /** After a healthy connection the next failure starts from the initial delay again. */
    public void reset() {
        stepMillis = initialMillis;
    }
}
