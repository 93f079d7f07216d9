package io.spiffeoidc.testsupport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

/** Bounded waits for things that happen on other threads; a test never sleeps a fixed time and then asserts. */
public final class Await {

    public static final Duration DEFAULT = Duration.ofSeconds(15);

    private Await() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT, condition, () -> "");
    }

    public static void until(String what, Duration limit, BooleanSupplier condition) {
        until(what, limit, condition, () -> "");
    }

    /** Fails with {@code what} and the current {@code state} if the condition does not hold in time. */
    public static void until(String what, BooleanSupplier condition, Supplier<String> state) {
        until(what, DEFAULT, condition, state);
    }

    public static void until(String what, Duration limit, BooleanSupplier condition, Supplier<String> state) {
        try {
            await(what).pollInSameThread().atMost(limit).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            String current = state.get();
            throw new AssertionError("Timed out after " + limit.toMillis() + " ms waiting for " + what
                    + (current.isEmpty() ? "" : "; state: " + current), e);
        }
    }
}
