package io.spiffeoidc.source.workload;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.spiffeoidc.logging.LogSanitiser;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.BundleSource;
import io.spiffeoidc.source.DirectoryWatch;
import io.spiffeoidc.source.SourceShutdown;
import io.spiffeoidc.source.SourceThreads;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.TrustDomainSinks;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.workload.proto.JWTBundlesRequest;
import io.spiffeoidc.source.workload.proto.JWTBundlesResponse;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
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
 * channel ({@link X509BundleStream}), with a failure of its own.
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
    private final Timings timings;
    private final ChannelOpener opener;
    private final Backoff backoff;
    private final ScheduledThreadPoolExecutor worker = SourceThreads.worker("workload-api-source");
    private final UnixSocketChannels channels = new UnixSocketChannels("workload-api-io");
    private final Metadata headers = new Metadata();
    // Every trust domain, the primary first: one stream carries every trust domain's bundle.
    private volatile TrustDomainSinks sinks;
    private volatile DirectoryWatch watch;
    // Null unless some trust domain serves its SPIFFE bundle.
    private volatile X509BundleStream x509;

    // Worker thread only.
    private Stream current;
    private ScheduledFuture<?> reconnect;
    private boolean closing;

    public WorkloadApiSource(Path socket, Timings timings) {
        this(socket, timings, NettyChannelBuilder::build);
    }

    WorkloadApiSource(Path socket, Timings timings, ChannelOpener opener) {
        this.socket = socket;
        this.timings = timings;
        this.opener = opener;
        this.backoff = new Backoff(timings.backoffInitial(), timings.backoffMax());
        headers.put(SECURITY_HEADER, "true");
    }

    @Override
    public String describe() {
        TrustDomainSinks known = sinks;
        String bundles = known == null ? "" : known.all().size() > 1
                ? "s of " + known.all().stream().map(TrustDomainSink::spiffeId).collect(Collectors.joining(", "))
                : " of " + known.primary().spiffeId();
        return "workload API unix://" + socket + " (bundle" + bundles + ")";
    }

    /**
     * Publishes each trust domain's entry of the agent's bundle map ("spiffe://partner.example") to its own
     * sink, all from the one stream, and follows the X.509 bundles too when some trust domain wants them.
     */
    @Override
    public void start(TrustDomainSinks sinks) {
        this.sinks = sinks;
        if (sinks.anyX509Authorities()) {
            x509 = new X509BundleStream(worker, headers, new Backoff(timings.backoffInitial(), timings.backoffMax()), sinks);
        }
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
            if (x509 != null) {
                x509.follow(channel, () -> stream == current && !closing);
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
            sinks.report("the bundle stream could not be opened", e);
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
        sinks.up(true);
        for (TrustDomainSink trustDomain : sinks.all()) {
            String id = trustDomain.spiffeId();
            ByteString bundle = response.getBundlesMap().get(id);
            if (bundle == null) {
                trustDomain.sink().absent("the agent sent no bundle for " + id + " (it sent " + trustDomains(response) + ")");
            } else {
                trustDomain.sink().offerDocument(bundle.toByteArray());
            }
        }
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
                if (x509 != null) {
                    x509.stop();
                }
                channel.shutdownNow();
                String error = overdue
                        ? "DEADLINE_EXCEEDED: the agent accepted the call but sent no bundle within "
                                + timings.firstMessageDeadline().toMillis() + " ms"
                        : UnixSocketChannels.describe(status);
                sinks.down(error);
            } catch (RuntimeException e) {
                sinks.report("the end of the bundle stream could not be handled", e);
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
        SourceShutdown.stop(sinks, watch, () -> worker.submit(this::closeOnWorker).get(5, TimeUnit.SECONDS), worker, channels);
    }

    /** On the worker, so that no callback of the stream runs meanwhile: returns the channel to shut, if any. */
    private ManagedChannel closeOnWorker() {
        closing = true;
        if (reconnect != null) {
            reconnect.cancel(false);
        }
        if (x509 != null) {
            x509.stop();
        }
        Stream stream = current;
        current = null;
        if (stream == null) {
            return null;
        }
        if (stream.firstMessageTimer != null) {
            stream.firstMessageTimer.cancel(false);
        }
        return stream.channel;
    }
}
