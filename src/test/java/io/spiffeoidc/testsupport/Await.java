package io.spiffeoidc.testsupport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Bounded waits for things that happen on other threads or in other processes; a test never sleeps a fixed
 * time and then asserts. The one wait primitive of the tests (Awaitility underneath): the condition is
 * checked at once and then every 10 ms on the calling thread, and an exception it throws ends the wait.
 */
public final class Await {

    public static final Duration DEFAULT = Duration.ofSeconds(15);

    private static final Duration INTERVAL = Duration.ofMillis(10);

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
            await(what).pollInSameThread().atMost(limit).pollDelay(Duration.ZERO).pollInterval(INTERVAL)
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            String current = state.get();
            throw new AssertionError("Timed out after " + limit.toMillis() + " ms waiting for " + what
                    + (current.isEmpty() ? "" : "; state: " + current), e);
        }
    }

    /**
     * Probes until a result satisfies {@code done} and returns that result, for a test that asserts on what
     * it waited for; fails with {@code what} and the last result if none does in time.
     */
    public static <T> T result(String what, Supplier<T> probe, Predicate<? super T> done) {
        return result(what, DEFAULT, probe, done);
    }

    public static <T> T result(String what, Duration limit, Supplier<T> probe, Predicate<? super T> done) {
        AtomicReference<T> last = new AtomicReference<>();
        until(what, limit, () -> {
            T result = probe.get();
            last.set(result);
            return done.test(result);
        }, () -> "last result " + last.get());
        return last.get();
    }
}
