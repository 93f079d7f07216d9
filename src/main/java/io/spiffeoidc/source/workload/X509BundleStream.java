package io.spiffeoidc.source.workload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.TrustDomainSinks;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import io.spiffeoidc.source.workload.proto.X509BundlesRequest;
import io.spiffeoidc.source.workload.proto.X509BundlesResponse;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * The FetchX509Bundles call that runs beside the JWT bundle stream, on its channel, when some trust domain
 * serves its SPIFFE bundle. Its failure is its own: it is retried on its own backoff and never reported as
 * the source being down, because the JWT bundles (and so the OIDC documents) do not depend on it. It lives
 * as long as the JWT stream that owns the channel; that stream's end reports the outage and reconnects
 * both. Everything runs on the source's worker thread, which also runs the gRPC callbacks.
 */
final class X509BundleStream {

    // Logged under the source's name, as the lines always were: operators filter on it.
    private static final Logger LOG = Logger.getLogger(WorkloadApiSource.class);

    private final ScheduledThreadPoolExecutor worker;
    private final Metadata headers;
    private final Backoff backoff;
    private final TrustDomainSinks sinks;

    // Worker thread only.
    private ScheduledFuture<?> retry;
    // The error the call last ended with, until it delivers again; one log line per change.
    private String down;

    X509BundleStream(ScheduledThreadPoolExecutor worker, Metadata headers, Backoff backoff, TrustDomainSinks sinks) {
        this.worker = worker;
        this.headers = headers;
        this.backoff = backoff;
        this.sinks = sinks;
    }

    /**
     * Opens the call on {@code channel} and keeps it open (retrying after each end) while {@code owned}
     * says the JWT stream of that channel is still the current one; never throws.
     */
    void follow(ManagedChannel channel, BooleanSupplier owned) {
        if (!owned.getAsBoolean()) {
            return;
        }
        retry = null;
        try {
            SpiffeWorkloadAPIGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .fetchX509Bundles(X509BundlesRequest.getDefaultInstance(), new Call(channel, owned));
        } catch (RuntimeException e) {
            ended(channel, owned, Status.fromThrowable(e));
        }
    }

    /** The owning JWT stream ended (or the source closes): no retry of its call is left pending. */
    void stop() {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
    }

    /** Ended while its channel is still the current one: retry it alone; the JWT stream is untouched. */
    private void ended(ManagedChannel channel, BooleanSupplier owned, Status status) {
        if (!owned.getAsBoolean()) {
            return;
        }
        String error = UnixSocketChannels.describe(status);
        if (!error.equals(down)) {
            LOG.warnf("X.509 bundle stream from the Workload API ended: %s; JWT bundles are not affected, retrying", error);
            down = error;
        }
        try {
            retry = worker.schedule(() -> follow(channel, owned), backoff.next().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // close() is under way
        }
    }

    /** Each trust domain's X.509 authorities go to its own sink; a trust domain missing here keeps its last ones. */
    private void deliver(X509BundlesResponse response) {
        backoff.reset();
        if (down != null) {
            LOG.infof("X.509 bundle stream from the Workload API delivering again");
            down = null;
        }
        for (TrustDomainSink trustDomain : sinks.all()) {
            ByteString bundle = response.getBundlesMap().get(trustDomain.spiffeId());
            if (trustDomain.x509Authorities() && bundle != null) {
                trustDomain.sink().offerX509Authorities(List.of(bundle.toByteArray()));
            }
        }
    }

    /** One FetchX509Bundles call; callbacks arrive on the worker thread like the JWT stream's. */
    private final class Call implements StreamObserver<X509BundlesResponse> {

        private final ManagedChannel channel;
        private final BooleanSupplier owned;

        Call(ManagedChannel channel, BooleanSupplier owned) {
            this.channel = channel;
            this.owned = owned;
        }

        @Override
        public void onNext(X509BundlesResponse response) {
            if (owned.getAsBoolean()) {
                deliver(response);
            }
        }

        @Override
        public void onError(Throwable error) {
            ended(channel, owned, Status.fromThrowable(error));
        }

        @Override
        public void onCompleted() {
            ended(channel, owned, Status.UNAVAILABLE.withDescription("the agent ended the X.509 bundle stream"));
        }
    }
}
