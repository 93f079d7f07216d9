package io.spiffeoidc.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesWithJitterUpToTheCapAndStartsOverAfterReset() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
        long[] steps = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
        for (long step : steps) {
            long delay = backoff.next().toMillis();
            assertTrue(delay >= step / 2 && delay <= step, "delay " + delay + " outside [" + step / 2 + ", " + step + "]");
        }
        backoff.reset();
        long first = backoff.next().toMillis();
        assertTrue(first >= 50 && first <= 100, "after reset: " + first);
    }

    @Test
    void rejectsACapBelowTheInitialDelay() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(1), Duration.ofMillis(10)));
        assertEquals("backoff needs 0 < initial <= max, got PT1S and PT0.01S", e.getMessage());
    }
}
