package io.spiffeoidc.source;

import io.spiffeoidc.bundle.BundleSink;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import org.jboss.logging.Logger;

/** The threads sources run on, and how they survive what they did not expect. */
public final class SourceThreads {

    private static final Logger LOG = Logger.getLogger(SourceThreads.class);

    private SourceThreads() {
    }

    /**
     * A daemon worker whose pending retries are dropped on shutdown: closing a source must not wait
     * for a reconnect scheduled seconds ahead.
     */
    public static ScheduledThreadPoolExecutor worker(String name) {
        ScheduledThreadPoolExecutor worker = new ScheduledThreadPoolExecutor(1, daemon(name));
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        worker.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        worker.setRemoveOnCancelPolicy(true);
        return worker;
    }

    public static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Reports an unexpected failure as the source being down. Never throws: callers report from the
     * path that schedules the next attempt, and an exception escaping a scheduled task would end the
     * retries without a word. {@code failure} is null for an expected failure that {@code what} describes.
     */
    public static void report(BundleSink sink, String what, RuntimeException failure) {
        try {
            sink.sourceDown(failure == null ? what : what + ": " + failure);
        } catch (RuntimeException again) {
            LOG.debugf(again, "Reporting a source failure failed (%s)", what);
        }
    }
}
