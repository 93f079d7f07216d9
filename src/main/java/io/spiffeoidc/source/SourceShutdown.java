package io.spiffeoidc.source;

import io.grpc.ManagedChannel;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * How every source stops, in the one order that keeps the promise of {@link BundleSource#close()}: the sinks
 * go silent first, so whatever a thread is still doing reaches no publisher; then the directory watch, the
 * gRPC channel (which ends a call in flight), the worker (which still runs what is queued, such as a
 * cancelled call's last callback, and sees the closed sinks) and last the channel's event loop. Every wait
 * is bounded; an interrupt is kept for the caller.
 */
public final class SourceShutdown {

    private static final Logger LOG = Logger.getLogger(SourceShutdown.class);

    /** The channel to shut, found however the source keeps it; null when there is none. */
    @FunctionalInterface
    public interface OpenChannel {
        ManagedChannel get() throws Exception;
    }

    private SourceShutdown() {
    }

    /**
     * @param sinks    null when the source was never started
     * @param watch    null when the source watches nothing (or its directory could not be watched)
     * @param channel  null for a source without a gRPC channel
     * @param channels null for a source without a gRPC channel
     */
    public static void stop(TrustDomainSinks sinks, DirectoryWatch watch, OpenChannel channel,
            ScheduledThreadPoolExecutor worker, UnixSocketChannels channels) {
        if (sinks != null) {
            sinks.close();
        }
        if (watch != null) {
            watch.close();
        }
        try {
            ManagedChannel open = channel == null ? null : channel.get();
            if (open != null) {
                open.shutdownNow();
                open.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.debug("Closing a key source's channel did not finish cleanly", e);
        }
        worker.shutdown();
        try {
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (channels != null) {
            channels.close();
        }
    }
}
