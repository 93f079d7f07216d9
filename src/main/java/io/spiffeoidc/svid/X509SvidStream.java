package io.spiffeoidc.svid;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.SourceThreads;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import io.spiffeoidc.source.workload.proto.X509SVID;
import io.spiffeoidc.source.workload.proto.X509SVIDRequest;
import io.spiffeoidc.source.workload.proto.X509SVIDResponse;
import io.spiffeoidc.tls.SvidServingCertificate;
import io.spiffeoidc.tls.SvidServingCertificate.Candidate;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The Workload API's FetchX509SVID stream, kept open for as long as the service runs: the agent sends the
 * workload's SVIDs when the call opens and again on every rotation, and each first SVID is handed to
 * {@link SvidServingCertificate}, which alone decides whether it is served. A stream that ends is reopened on a
 * backoff (at most 5 s apart); the certificate already served stays served meanwhile. One log line per change of
 * the stream's state, never per attempt. Everything runs on one worker thread, gRPC callbacks included.
 */
final class X509SvidStream implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(X509SvidStream.class);
    private static final Metadata.Key<String> SECURITY_HEADER = Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

    private final Path socket;
    private final SvidServingCertificate certificate;
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    private final ScheduledThreadPoolExecutor worker = SourceThreads.worker("x509-svid-stream");
    private final UnixSocketChannels channels = new UnixSocketChannels("x509-svid-io");
    private final Metadata headers = new Metadata();

    // Worker thread only.
    private ManagedChannel channel;
    private ScheduledFuture<?> reconnect;
    private boolean closing;
    // The last state logged ("up", or why the stream is down), so each state is logged once.
    private String state;

    X509SvidStream(Path socket, SvidServingCertificate certificate) {
        this.socket = socket;
        this.certificate = certificate;
        headers.put(SECURITY_HEADER, "true");
    }

    void start() {
        worker.execute(this::connect);
    }

    private void connect() {
        reconnect = null;
        if (closing) {
            return;
        }
        try {
            // A fresh channel per attempt, as for the bundle stream: gRPC's own reconnect backoff would add to ours.
            channel = channels.builder(socket, worker)
                    .keepAliveTime(330, TimeUnit.SECONDS)
                    .keepAliveTimeout(20, TimeUnit.SECONDS)
                    .keepAliveWithoutCalls(true)
                    .build();
            SpiffeWorkloadAPIGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .fetchX509SVID(X509SVIDRequest.getDefaultInstance(), new Call(channel));
        } catch (RuntimeException e) {
            down("the call could not be opened (" + e.getMessage() + ")");
            retry();
        }
    }

    private void retry() {
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
        if (closing) {
            return;
        }
        try {
            reconnect = worker.schedule(this::connect, backoff.next().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            // close() is under way
        }
    }

    private void down(String why) {
        if (why.equals(state)) {
            return;
        }
        state = why;
        String still = certificate.served().map(s -> "still serving " + s.spiffeId() + " (serial " + s.serial() + ")")
                .orElse("no certificate is served yet");
        LOG.warnf("X509-SVID stream from the Workload API unix://%s: %s; %s, reconnecting", socket, why, still);
    }

    private void received(X509SVIDResponse response) {
        backoff.reset();
        if (response.getSvidsCount() == 0) {
            down("the agent sent no X509-SVID");
            return;
        }
        if (!"up".equals(state) && state != null) {
            LOG.infof("X509-SVID stream from the Workload API unix://%s delivers again", socket);
        }
        state = "up";
        X509SVID svid = response.getSvids(0);
        try {
            certificate.offer(new Candidate(svid.getSpiffeId(), svid.getX509Svid().toByteArray(), svid.getX509SvidKey().toByteArray()),
                    Instant.now());
        } catch (RuntimeException e) {
            // Never expected; caught so that the stream, and the next SVID, are not lost with it.
            LOG.errorf("X509-SVID from the Workload API could not be handled (%s); the served certificate stays", e);
        }
    }

    /** One FetchX509SVID call; its callbacks arrive on the worker thread. */
    private final class Call implements StreamObserver<X509SVIDResponse> {

        private final ManagedChannel own;

        Call(ManagedChannel own) {
            this.own = own;
        }

        @Override
        public void onNext(X509SVIDResponse response) {
            if (own == channel) {
                received(response);
            }
        }

        @Override
        public void onError(Throwable error) {
            ended(UnixSocketChannels.describe(Status.fromThrowable(error)));
        }

        @Override
        public void onCompleted() {
            ended("the agent ended the stream");
        }

        private void ended(String why) {
            if (own != channel || closing) {
                return;
            }
            down(why);
            retry();
        }
    }

    @Override
    public void close() {
        try {
            worker.submit(() -> {
                closing = true;
                if (reconnect != null) {
                    reconnect.cancel(false);
                }
                if (channel != null) {
                    channel.shutdownNow();
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Shutting down regardless.
        }
        worker.shutdownNow();
        channels.close();
    }
}
