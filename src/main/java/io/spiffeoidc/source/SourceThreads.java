package io.spiffeoidc.source;

import java.util.concurrent.ScheduledThreadPoolExecutor;

/** The single worker thread each network source runs its state machine on. */
public final class SourceThreads {

    private SourceThreads() {
    }

    /**
     * A daemon worker whose pending retries are dropped on shutdown: closing a source must not wait
     * for a reconnect scheduled seconds ahead.
     */
    public static ScheduledThreadPoolExecutor worker(String name) {
        ScheduledThreadPoolExecutor worker = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
        worker.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        worker.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        worker.setRemoveOnCancelPolicy(true);
        return worker;
    }
}
