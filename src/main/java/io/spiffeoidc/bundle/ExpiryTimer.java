package io.spiffeoidc.bundle;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread for every publisher's key expiry: at the instant the first served key expires, the
 * publisher re-publishes its set without it, whether or not the source still answers. A task only takes
 * its publisher's lock and swaps a reference.
 */
final class ExpiryTimer {

    private static final ScheduledThreadPoolExecutor TIMER = create();

    private ExpiryTimer() {
    }

    static ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return TIMER.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    }

    private static ScheduledThreadPoolExecutor create() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "bundle-key-expiry");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
