package io.spiffeoidc.source.server;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.JwtAuthority;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.logging.LogSanitiser;
import io.spiffeoidc.source.Backoff;
import io.spiffeoidc.source.BundleSource;
import io.spiffeoidc.source.ClosableSink;
import io.spiffeoidc.source.SourceThreads;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

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
    private final String trustDomain;
    private final Duration pollInterval;
    private final Backoff backoff;
    private final ScheduledThreadPoolExecutor worker = SourceThreads.worker("server-api-source");
    private final UnixSocketChannels channels = new UnixSocketChannels("server-api-io");
    private volatile ManagedChannel channel;
    private volatile ClosableSink sink;
    // Federated trust domain name -> sink; each is fetched with its own GetFederatedBundle call per poll.
    private volatile Map<String, ClosableSink> federatedSinks = Map.of();
    // Trust domain names whose X.509 authorities are fetched too.
    private volatile Set<String> withX509 = Set.of();

    /** @param trustDomain the trust domain name as SPIRE reports it, e.g. "example.org" */
    public ServerApiSource(Path socket, String trustDomain, Duration pollInterval) {
        this.socket = socket;
        this.trustDomain = trustDomain;
        this.pollInterval = pollInterval;
        // Retry sooner than the poll interval after a failure, so a server restart is noticed quickly.
        this.backoff = new Backoff(Duration.ofMillis(100), min(Duration.ofSeconds(5), pollInterval));
    }

    @Override
    public String describe() {
        Map<String, ClosableSink> federated = federatedSinks;
        return "SPIRE server API unix://" + socket + " (bundle of " + trustDomain
                + (federated.isEmpty() ? "" : ", federated bundles of " + String.join(", ", federated.keySet()))
                + ", every " + pollInterval.toMillis() + " ms)";
    }

    @Override
    public void start(BundleSink target) {
        start(target, Map.of());
    }

    /** Also polls the bundle of each federated trust domain name of {@code federated} for its own sink. */
    public void start(BundleSink target, Map<String, BundleSink> federated) {
        start(target, federated, Set.of());
    }

    /** @param withX509 the trust domain names (primary or federated) whose X.509 authorities are passed on too */
    public void start(BundleSink target, Map<String, BundleSink> federated, Set<String> withX509) {
        this.withX509 = Set.copyOf(withX509);
        Map<String, ClosableSink> closable = new LinkedHashMap<>();
        federated.forEach((name, federatedSink) -> closable.put(name, new ClosableSink(federatedSink)));
        federatedSinks = Collections.unmodifiableMap(closable);
        sink = new ClosableSink(target);
        channel = channels.builder(socket, worker).build();
        worker.execute(this::poll);
    }

    private void poll() {
        Duration next = pollInterval;
        try {
            Bundle bundle = BundleGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .getBundle(GetBundleRequest.newBuilder().setOutputMask(mask(trustDomain)).build());
            backoff.reset();
            sink.sourceUp(false);
            publish(bundle, trustDomain, sink);
            if (!pollFederated()) {
                next = min(backoff.next(), pollInterval);
            }
        } catch (StatusRuntimeException e) {
            String error = UnixSocketChannels.describe(e.getStatus());
            sink.sourceDown(error);
            // The federated bundles come from the same server: it is down for them too.
            federatedSinks.values().forEach(target -> target.sourceDown(error));
            // Otherwise the channel's own reconnect backoff (up to minutes) would fail our next polls fast.
            channel.resetConnectBackoff();
            next = min(backoff.next(), pollInterval);
        } catch (RuntimeException e) {
            next = min(backoff.next(), pollInterval);
            SourceThreads.report(sink, "GetBundle failed", e);
        } finally {
            // Keep polling whatever happened above; a lost schedule would freeze the keys silently.
            if (!sink.isClosed()) {
                worker.schedule(this::poll, next.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * One call per federated trust domain, each reported to its own sink only: a missing or failing one
     * touches no other. False when a call failed, so the next poll comes sooner.
     */
    private boolean pollFederated() {
        boolean allAnswered = true;
        for (Map.Entry<String, ClosableSink> entry : federatedSinks.entrySet()) {
            String name = entry.getKey();
            ClosableSink target = entry.getValue();
            try {
                Bundle bundle = BundleGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .getFederatedBundle(GetFederatedBundleRequest.newBuilder().setTrustDomain(name)
                                .setOutputMask(mask(name)).build());
                target.sourceUp(false);
                publish(bundle, name, target);
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

    private BundleMask mask(String name) {
        return withX509.contains(name) ? WITH_X509_MASK : JWT_MASK;
    }

    private void publish(Bundle bundle, String trustDomain, ClosableSink sink) {
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
        if (withX509.contains(trustDomain)) {
            // Before the JWT authorities, so the sequence number the latter bring lands last; tainted X.509
            // authorities stay, since SPIRE keeps trusting them until they are revoked.
            sink.offerX509Authorities(bundle.getX509AuthoritiesList().stream().map(cert -> cert.getAsn1().toByteArray()).toList());
        }
        // proto3 cannot tell zero from unset; SPIRE numbers its bundles from 1 and treats a zero hint as none.
        sink.offerAuthorities(authorities,
                bundle.getSequenceNumber() == 0 ? OptionalLong.empty() : OptionalLong.of(bundle.getSequenceNumber()),
                bundle.getRefreshHint() == 0 ? OptionalLong.empty() : OptionalLong.of(bundle.getRefreshHint()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        ClosableSink target = sink;
        if (target != null) {
            target.close();
        }
        federatedSinks.values().forEach(ClosableSink::close);
        worker.shutdownNow();
        ManagedChannel open = channel;
        if (open != null) {
            open.shutdownNow();
        }
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
            if (open != null) {
                open.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channels.close();
    }
}
