package io.spiffeoidc.source.server;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiffeoidc.bundle.AuthorityBundle;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.JwtAuthority;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.logging.LogSanitiser;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.BundleSource;
import io.spiffeoidc.source.SourceShutdown;
import io.spiffeoidc.source.SourceThreads;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.TrustDomainSinks;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.server.proto.Bundle;
import io.spiffeoidc.source.server.proto.BundleGrpc;
import io.spiffeoidc.source.server.proto.BundleMask;
import io.spiffeoidc.source.server.proto.GetBundleRequest;
import io.spiffeoidc.source.server.proto.GetFederatedBundleRequest;
import io.spiffeoidc.source.server.proto.JWTKey;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Polls the SPIRE server's GetBundle on its local API socket. SPIRE authenticates local callers by the
 * socket alone and GetBundle needs no authorisation, so no credentials or headers are sent. Every JWT
 * authority goes to the publisher with its expiry and taint, which keeps tainted and expired ones off
 * {@code /keys} (also when an expiry passes between polls) although SPIRE still lists them.
 */
public final class ServerApiSource implements BundleSource {

    /**
     * SPIRE clears every field the output mask leaves out, refresh hint and sequence number included; X.509
     * authorities are asked for only by trust domains whose SPIFFE bundle endpoint is on.
     */
    private static final BundleMask JWT_MASK = BundleMask.newBuilder().setJwtAuthorities(true).setRefreshHint(true)
            .setSequenceNumber(true).build();
    private static final BundleMask WITH_X509_MASK = JWT_MASK.toBuilder().setX509Authorities(true).build();
    /** A hung server must not stop the polls for good; a live one answers in milliseconds. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final Path socket;
    private final Duration pollInterval;
    private final Backoff backoff;
    private final ScheduledThreadPoolExecutor worker = SourceThreads.worker("server-api-source");
    private final UnixSocketChannels channels = new UnixSocketChannels("server-api-io");
    private volatile ManagedChannel channel;
    // The primary is fetched with GetBundle, each federated trust domain with its own GetFederatedBundle call.
    private volatile TrustDomainSinks sinks;

    public ServerApiSource(Path socket, Duration pollInterval) {
        this.socket = socket;
        this.pollInterval = pollInterval;
        // Retry sooner than the poll interval after a failure, so a server restart is noticed quickly.
        this.backoff = new Backoff(Duration.ofMillis(100), min(Duration.ofSeconds(5), pollInterval));
    }

    @Override
    public String describe() {
        TrustDomainSinks known = sinks;
        if (known == null) {
            return "SPIRE server API unix://" + socket + " (every " + pollInterval.toMillis() + " ms)";
        }
        String federated = known.federated().stream().map(TrustDomainSink::trustDomain).collect(Collectors.joining(", "));
        return "SPIRE server API unix://" + socket + " (bundle of " + known.primary().trustDomain()
                + (federated.isEmpty() ? "" : ", federated bundles of " + federated)
                + ", every " + pollInterval.toMillis() + " ms)";
    }

    /**
     * Polls the primary trust domain's bundle (its name as SPIRE reports it, e.g. "example.org") and each
     * federated trust domain's, each for its own sink.
     */
    @Override
    public void start(TrustDomainSinks sinks) {
        this.sinks = sinks;
        channel = channels.builder(socket, worker).build();
        worker.execute(this::poll);
    }

    private void poll() {
        Duration next = pollInterval;
        TrustDomainSink primary = sinks.primary();
        try {
            Bundle bundle = BundleGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .getBundle(GetBundleRequest.newBuilder().setOutputMask(mask(primary)).build());
            backoff.reset();
            primary.sink().sourceUp(false);
            publish(bundle, primary);
            if (!pollFederated()) {
                next = min(backoff.next(), pollInterval);
            }
        } catch (StatusRuntimeException e) {
            // The federated bundles come from the same server: it is down for them too.
            sinks.down(UnixSocketChannels.describe(e.getStatus()));
            // Otherwise the channel's own reconnect backoff (up to minutes) would fail our next polls fast.
            channel.resetConnectBackoff();
            next = min(backoff.next(), pollInterval);
        } catch (RuntimeException e) {
            next = min(backoff.next(), pollInterval);
            SourceThreads.report(primary.sink(), "GetBundle failed", e);
        } finally {
            // Keep polling whatever happened above; a lost schedule would freeze the keys silently.
            if (!sinks.isClosed()) {
                worker.schedule(this::poll, next.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * One call per federated trust domain, each reported to its own sink only: a missing or failing one
     * touches no other. A trust domain the server answered for is up, also when the answer is that it holds
     * no bundle for it. False when a call failed, so the next poll comes sooner.
     */
    private boolean pollFederated() {
        boolean allAnswered = true;
        for (TrustDomainSink federated : sinks.federated()) {
            String name = federated.trustDomain();
            BundleSink target = federated.sink();
            try {
                Bundle bundle = BundleGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .getFederatedBundle(GetFederatedBundleRequest.newBuilder().setTrustDomain(name)
                                .setOutputMask(mask(federated)).build());
                target.sourceUp(false);
                publish(bundle, federated);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    target.sourceUp(false);
                    target.absent("the server holds no federated bundle for " + name);
                } else {
                    allAnswered = false;
                    target.sourceDown("GetFederatedBundle " + UnixSocketChannels.describe(e.getStatus()));
                }
            } catch (RuntimeException e) {
                allAnswered = false;
                SourceThreads.report(target, "GetFederatedBundle failed", e);
            }
        }
        return allAnswered;
    }

    private static BundleMask mask(TrustDomainSink trustDomain) {
        return trustDomain.x509Authorities() ? WITH_X509_MASK : JWT_MASK;
    }

    private static void publish(Bundle bundle, TrustDomainSink target) {
        String trustDomain = target.trustDomain();
        BundleSink sink = target.sink();
        if (!trustDomain.equals(bundle.getTrustDomain())) {
            sink.refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING,
                    "the server's bundle is for trust domain \"" + LogSanitiser.clean(bundle.getTrustDomain())
                            + "\", not " + trustDomain));
            return;
        }
        List<JwtAuthority> authorities = new ArrayList<>(bundle.getJwtAuthoritiesCount());
        for (JWTKey key : bundle.getJwtAuthoritiesList()) {
            authorities.add(new JwtAuthority(key.getKeyId(), key.getPublicKey().toByteArray(),
                    key.getExpiresAt() == 0 ? Optional.empty() : Optional.of(Instant.ofEpochSecond(key.getExpiresAt())),
                    key.getTainted()));
        }
        // Tainted X.509 authorities stay, since SPIRE keeps trusting them until they are revoked.
        Optional<List<byte[]>> x509 = target.x509Authorities()
                ? Optional.of(bundle.getX509AuthoritiesList().stream().map(cert -> cert.getAsn1().toByteArray()).toList())
                : Optional.empty();
        // proto3 cannot tell zero from unset; SPIRE numbers its bundles from 1 and treats a zero hint as none.
        sink.offerAuthorities(new AuthorityBundle(authorities, x509,
                bundle.getSequenceNumber() == 0 ? OptionalLong.empty() : OptionalLong.of(bundle.getSequenceNumber()),
                bundle.getRefreshHint() == 0 ? OptionalLong.empty() : OptionalLong.of(bundle.getRefreshHint())));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        SourceShutdown.stop(sinks, null, () -> channel, worker, channels);
    }
}
