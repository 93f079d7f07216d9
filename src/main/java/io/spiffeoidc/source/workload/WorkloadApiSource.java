package io.spiffeoidc.source.workload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.BundleSource;
import io.spiffeoidc.logging.LogSanitiser;
import io.spiffeoidc.source.ClosableSink;
import io.spiffeoidc.source.DirectoryWatch;
import io.spiffeoidc.source.SourceThreads;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.workload.proto.JWTBundlesRequest;
import io.spiffeoidc.source.workload.proto.JWTBundlesResponse;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import io.spiffeoidc.source.workload.proto.X509BundlesRequest;
import io.spiffeoidc.source.workload.proto.X509BundlesResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Follows the SPIRE agent's JWT bundle stream. One FetchJWTBundles call stays open; the agent sends the
 * bundles at once and again on every change, so whatever arrived last is current while the call lives.
 * When the call ends for any reason the source reports the status and opens a new channel after a
 * backoff, or at once when the agent's socket reappears in its directory: an agent back after a long
 * outage is not kept waiting for the backoff cap. All state lives on one worker thread, which also runs
 * the gRPC callbacks.
 *
 * <p>When a SPIFFE bundle endpoint is configured, a FetchX509Bundles call runs beside it on the same
 * channel. Its failure is its own: it is retried on its own backoff and never reported as the source
 * being down, because the JWT bundles (and so the OIDC documents) do not depend on it.
 */
public final class WorkloadApiSource implements BundleSource {

    private static final Logger LOG = Logger.getLogger(WorkloadApiSource.class);

    /** SPIRE refuses Workload API calls without it, so that a browser cannot be tricked into calling the socket. */
    static final Metadata.Key<String> SECURITY_HEADER = Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * @param firstMessageDeadline an agent that accepts the call but sends nothing within this time is treated as down
     * @param keepAliveTime        HTTP/2 pings detect an agent that stops answering mid-stream. The agent is a Go
     *                             gRPC server with the default enforcement policy, which answers pings more often
     *                             than every 5 minutes with GOAWAY "too_many_pings"; stay above that.
     */
    public record Timings(Duration firstMessageDeadline, Duration keepAliveTime, Duration keepAliveTimeout,
            Duration backoffInitial, Duration backoffMax) {

        public static final Timings DEFAULT = new Timings(Duration.ofSeconds(10), Duration.ofSeconds(330),
                Duration.ofSeconds(20), Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    /** Opens the channel of one attempt; a seam for tests that make an attempt fail unexpectedly. */
    interface ChannelOpener {
        ManagedChannel open(NettyChannelBuilder builder);
    }

    private final Path socket;
    private final String trustDomainId;
    private final Timings timings;
    private final ChannelOpener opener;
    private final Backoff backoff;
    private final ScheduledThreadPoolExecutor worker = SourceThreads.worker("workload-api-source");
    private final UnixSocketChannels channels = new UnixSocketChannels("workload-api-io");
    private final Metadata headers = new Metadata();
    // Trust domain ID -> sink, the primary first. One stream carries every trust domain's bundle.
    private volatile Map<String, ClosableSink> sinks = Map.of();

    private volatile DirectoryWatch watch;
    private volatile boolean fetchX509;

    // Worker thread only.
    private Stream current;
    private ScheduledFuture<?> reconnect;
    private boolean closing;
    private final Backoff x509Backoff;
    // The error the X.509 stream last ended with, until it delivers again; one log line per change.
    private String x509Down;

    public WorkloadApiSource(Path socket, String trustDomainId) {
        this(socket, trustDomainId, Timings.DEFAULT);
    }

    public WorkloadApiSource(Path socket, String trustDomainId, Timings timings) {
        this(socket, trustDomainId, timings, NettyChannelBuilder::build);
    }

    WorkloadApiSource(Path socket, String trustDomainId, Timings timings, ChannelOpener opener) {
        this.socket = socket;
        this.trustDomainId = trustDomainId;
        this.timings = timings;
        this.opener = opener;
        this.backoff = new Backoff(timings.backoffInitial(), timings.backoffMax());
        this.x509Backoff = new Backoff(timings.backoffInitial(), timings.backoffMax());
        headers.put(SECURITY_HEADER, "true");
    }

    @Override
    public String describe() {
        Map<String, ClosableSink> known = sinks;
        return "workload API unix://" + socket + " (bundle" + (known.size() > 1 ? "s of " + String.join(", ", known.keySet())
                : " of " + trustDomainId) + ")";
    }

    @Override
    public void start(BundleSink target) {
        start(target, Map.of());
    }

    /**
     * Publishes the primary trust domain to {@code target} and each federated trust domain ID of
     * {@code federated} ("spiffe://partner.example") to its own sink, all from the one stream.
     */
    public void start(BundleSink target, Map<String, BundleSink> federated) {
        start(target, federated, false);
    }

    /** @param x509Bundles whether to follow the X.509 bundle stream too (some SPIFFE bundle endpoint is on) */
    public void start(BundleSink target, Map<String, BundleSink> federated, boolean x509Bundles) {
        this.fetchX509 = x509Bundles;
        Map<String, ClosableSink> all = new LinkedHashMap<>();
        all.put(trustDomainId, new ClosableSink(target));
        federated.forEach((id, federatedSink) -> all.put(id, new ClosableSink(federatedSink)));
        this.sinks = Collections.unmodifiableMap(all);
        Path name = socket.getFileName();
        watch = DirectoryWatch.start(socket.getParent(), "workload-api-watch", name::equals, this::socketChanged,
                "reconnecting on the backoff alone");
        worker.execute(this::connect);
    }

    /**
     * Opens one stream. It never throws: whatever goes wrong is reported and retried, because an exception
     * escaping a scheduled task would end the reconnection silently.
     */
    private void connect() {
        reconnect = null;
        if (closing) {
            return;
        }
        ManagedChannel channel = null;
        try {
            // A fresh channel per attempt: a reused one would hold its own reconnect backoff (up to two minutes)
            // on top of ours and fail calls fast in between, delaying recovery after an agent restart.
            channel = opener.open(channels.builder(socket, worker)
                    .keepAliveTime(timings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(timings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveWithoutCalls(true));
            Stream stream = new Stream(channel);
            current = stream;
            stream.firstMessageTimer = worker.schedule(stream::firstMessageOverdue,
                    timings.firstMessageDeadline().toMillis(), TimeUnit.MILLISECONDS);
            SpiffeWorkloadAPIGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .fetchJWTBundles(JWTBundlesRequest.getDefaultInstance(), stream);
            if (fetchX509) {
                openX509(stream);
            }
        } catch (RuntimeException e) {
            Stream failed = current;
            current = null;
            if (failed != null && failed.firstMessageTimer != null) {
                failed.firstMessageTimer.cancel(false);
            }
            if (channel != null) {
                channel.shutdownNow();
            }
            reportToAll("the bundle stream could not be opened", e);
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        if (closing) {
            return;
        }
        Duration delay = backoff.next();
        LOG.debugf("Reconnecting to the Workload API in %d ms", delay.toMillis());
        try {
            reconnect = worker.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // close() is under way
        }
    }

    /** From the watch thread: the socket's directory entry changed. */
    private void socketChanged() {
        try {
            worker.execute(this::socketMaybeBack);
        } catch (RejectedExecutionException shuttingDown) {
            // close() is under way
        }
    }

    /**
     * An agent that (re)creates its socket is about to listen: connect now rather than at the end of the
     * backoff, and start the backoff over in case the first attempt comes a moment too early.
     */
    private void socketMaybeBack() {
        if (closing || !Files.exists(socket)) {
            return;
        }
        if (current != null) {
            // An attempt may already have missed the new socket; let its end retry at once.
            current.socketAppeared = !current.delivered;
            return;
        }
        if (reconnect != null && reconnect.cancel(false)) {
            backoff.reset();
            connect();
        }
    }

    /**
     * Each trust domain's entry goes to its own sink only, so one bad or missing entry touches no other. The
     * stream answered for all of them: every trust domain is up before one is reported absent, so that an
     * absence never reads as an outage.
     */
    private void deliver(JWTBundlesResponse response) {
        sinks.values().forEach(target -> target.sourceUp(true));
        sinks.forEach((id, target) -> {
            ByteString bundle = response.getBundlesMap().get(id);
            if (bundle == null) {
                target.absent("the agent sent no bundle for " + id + " (it sent " + trustDomains(response) + ")");
                return;
            }
            target.offerDocument(bundle.toByteArray());
        });
    }

    /** Opens the X.509 bundle call on {@code owner}'s channel; never throws. */
    private void openX509(Stream owner) {
        owner.x509Retry = null;
        if (closing || owner != current) {
            return;
        }
        try {
            SpiffeWorkloadAPIGrpc.newStub(owner.channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .fetchX509Bundles(X509BundlesRequest.getDefaultInstance(), new X509Stream(owner));
        } catch (RuntimeException e) {
            x509Ended(owner, Status.fromThrowable(e));
        }
    }

    /** Ended while its channel is still the current one: retry it alone; the JWT stream is untouched. */
    private void x509Ended(Stream owner, Status status) {
        if (closing || owner != current) {
            return; // the JWT stream's end reports the outage and reconnects both
        }
        String error = UnixSocketChannels.describe(status);
        if (!error.equals(x509Down)) {
            LOG.warnf("X.509 bundle stream from the Workload API ended: %s; JWT bundles are not affected, retrying", error);
            x509Down = error;
        }
        try {
            owner.x509Retry = worker.schedule(() -> openX509(owner), x509Backoff.next().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // close() is under way
        }
    }

    /** Each trust domain's X.509 authorities go to its own sink; a trust domain missing here keeps its last ones. */
    private void deliverX509(X509BundlesResponse response) {
        x509Backoff.reset();
        if (x509Down != null) {
            LOG.infof("X.509 bundle stream from the Workload API delivering again");
            x509Down = null;
        }
        sinks.forEach((id, target) -> {
            ByteString bundle = response.getBundlesMap().get(id);
            if (bundle != null) {
                target.offerX509Authorities(List.of(bundle.toByteArray()));
            }
        });
    }

    /** One FetchX509Bundles call; callbacks arrive on the worker thread like the JWT stream's. */
    private final class X509Stream implements StreamObserver<X509BundlesResponse> {

        private final Stream owner;

        X509Stream(Stream owner) {
            this.owner = owner;
        }

        @Override
        public void onNext(X509BundlesResponse response) {
            if (owner == current && !closing) {
                deliverX509(response);
            }
        }

        @Override
        public void onError(Throwable error) {
            x509Ended(owner, Status.fromThrowable(error));
        }

        @Override
        public void onCompleted() {
            x509Ended(owner, Status.UNAVAILABLE.withDescription("the agent ended the X.509 bundle stream"));
        }
    }

    /** The stream is shared: its failure is every trust domain's. */
    private void reportToAll(String what, RuntimeException failure) {
        sinks.values().forEach(target -> SourceThreads.report(target, what, failure));
    }

    private static String trustDomains(JWTBundlesResponse response) {
        if (response.getBundlesCount() == 0) {
            return "none";
        }
        // Names come from the agent: bounded so that one log line stays one line.
        return response.getBundlesMap().keySet().stream().sorted().limit(5)
                .map(LogSanitiser::clean)
                .collect(Collectors.joining(", ")) + (response.getBundlesCount() > 5 ? ", ..." : "");
    }

    /** One FetchJWTBundles call and the channel it runs on; callbacks arrive on the worker thread. */
    private final class Stream implements ClientResponseObserver<JWTBundlesRequest, JWTBundlesResponse> {

        private final ManagedChannel channel;
        private ClientCallStreamObserver<JWTBundlesRequest> call;
        private ScheduledFuture<?> firstMessageTimer;
        private ScheduledFuture<?> x509Retry;
        private boolean delivered;
        private boolean overdue;
        private boolean socketAppeared;

        Stream(ManagedChannel channel) {
            this.channel = channel;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<JWTBundlesRequest> requestStream) {
            this.call = requestStream;
        }

        @Override
        public void onNext(JWTBundlesResponse response) {
            if (this != current || closing) {
                return;
            }
            if (!delivered) {
                delivered = true;
                firstMessageTimer.cancel(false);
                backoff.reset();
            }
            deliver(response);
        }

        @Override
        public void onError(Throwable error) {
            ended(Status.fromThrowable(error));
        }

        @Override
        public void onCompleted() {
            ended(Status.UNAVAILABLE.withDescription("the agent ended the bundle stream"));
        }

        void firstMessageOverdue() {
            if (this == current && !delivered) {
                overdue = true;
                call.cancel("no bundle within the first-message deadline", null);
            }
        }

        private void ended(Status status) {
            if (this != current || closing) {
                return;
            }
            current = null;
            try {
                firstMessageTimer.cancel(false);
                if (x509Retry != null) {
                    x509Retry.cancel(false);
                }
                channel.shutdownNow();
                String error = overdue
                        ? "DEADLINE_EXCEEDED: the agent accepted the call but sent no bundle within "
                                + timings.firstMessageDeadline().toMillis() + " ms"
                        : UnixSocketChannels.describe(status);
                sinks.values().forEach(target -> target.sourceDown(error));
            } catch (RuntimeException e) {
                reportToAll("the end of the bundle stream could not be handled", e);
            } finally {
                if (socketAppeared) {
                    backoff.reset();
                }
                scheduleReconnect();
            }
        }
    }

    @Override
    public void close() {
        sinks.values().forEach(ClosableSink::close);
        ManagedChannel open = null;
        try {
            DirectoryWatch watching = watch;
            if (watching != null) {
                watching.close();
            }
            open = worker.submit(() -> {
                closing = true;
                if (reconnect != null) {
                    reconnect.cancel(false);
                }
                Stream stream = current;
                current = null;
                if (stream == null) {
                    return null;
                }
                if (stream.firstMessageTimer != null) {
                    stream.firstMessageTimer.cancel(false);
                }
                if (stream.x509Retry != null) {
                    stream.x509Retry.cancel(false);
                }
                return stream.channel.shutdownNow();
            }).get(5, TimeUnit.SECONDS);
            if (open != null) {
                open.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            LOG.debug("Closing the Workload API stream did not finish cleanly", e);
        }
        // The worker still runs the cancelled call's last callback (which sees closing) before it stops.
        worker.shutdown();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channels.close();
    }
}
