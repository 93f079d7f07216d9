package io.spiffeoidc.testsupport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits for things that happen on other threads; a test never sleeps a fixed time and then asserts. */
public final class Waits {

    public static final Duration DEFAULT = Duration.ofSeconds(10);

    private Waits() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, condition, () -> "");
    }

    /** Fails with {@code what} and the current {@code state} if the condition does not hold within ten seconds. */
    public static void until(String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + DEFAULT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + DEFAULT.toSeconds() + " s waiting for " + what
                        + "; state: " + state.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}
