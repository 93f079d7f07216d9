package io.spiffeoidc.testsupport;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc;
import io.spiffe.workloadapi.grpc.Workload.JWTBundlesRequest;
import io.spiffe.workloadapi.grpc.Workload.JWTBundlesResponse;
import io.spiffe.workloadapi.grpc.Workload.X509BundlesRequest;
import io.spiffe.workloadapi.grpc.Workload.X509BundlesResponse;
import io.spiffe.workloadapi.grpc.Workload.X509SVID;
import io.spiffe.workloadapi.grpc.Workload.X509SVIDRequest;
import io.spiffe.workloadapi.grpc.Workload.X509SVIDResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A SPIRE agent's JWT bundle stream on a real Unix socket: sends the current bundle map when a call
 * opens and again on every change, and refuses calls without the security header exactly as SPIRE does.
 * Misbehaviour is switched on per call: {@link #deny()} answers PERMISSION_DENIED "no identity issued"
 * (registration pending), {@link #stall()} accepts calls but never sends, {@link #stop()} kills it.
 *
 * <p>FetchX509Bundles behaves the same way with its own map (trust domain ID to the CA certificates' DER
 * back to back) and CRLs ({@link #setX509Crls(List)}), pushed on every change; {@link #breakX509(String)}
 * fails that stream alone.
 *
 * <p>FetchX509SVID sends the workload's SVIDs ({@link #setX509Svid}) when a call opens and on every change, as
 * an agent does when it rotates them; calls before the first SVID wait, as an agent's do until the workload is
 * attested and its entry's SVID minted.
 *
 * <p>The messages and the service come from java-spiffe's build of the Workload API definition, not from
 * this service's workload.proto: a fake generated from the service's own definition would agree with any
 * mistake in it (as it once did with the X.509 bundles at field 1 instead of 2).
 */
public final class FakeWorkloadApi implements AutoCloseable {

    static final Metadata.Key<String> SECURITY_HEADER = Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

    private enum Mode {
        SERVE, DENY, STALL
    }

    private final UnixGrpcServer server;
    private final AtomicInteger calls = new AtomicInteger();
    // Guarded by this: a call registers and receives the current map atomically with respect to pushes.
    private final Set<ServerCallStreamObserver<JWTBundlesResponse>> streams = new HashSet<>();
    private JWTBundlesResponse latest;
    private Mode mode = Mode.SERVE;
    private final AtomicInteger x509Calls = new AtomicInteger();
    private final Set<ServerCallStreamObserver<X509BundlesResponse>> x509Streams = new HashSet<>();
    private X509BundlesResponse x509Latest;
    private List<ByteString> x509Crls = List.of();
    // Non-null while the X.509 stream is broken: open calls ended with it, new ones answered with it.
    private Status x509Failure;
    private final AtomicInteger svidCalls = new AtomicInteger();
    private final Set<ServerCallStreamObserver<X509SVIDResponse>> svidStreams = new HashSet<>();
    private X509SVIDResponse svidLatest;

    public FakeWorkloadApi(Path socket) {
        this.server = new UnixGrpcServer(socket, ServerInterceptors.intercept(new Service(), new RequireSecurityHeader()));
    }

    public void start() {
        server.start();
    }

    /** Kills the agent: every stream breaks and the socket file disappears until {@link #start()}. */
    public void stop() {
        synchronized (this) {
            streams.clear();
            x509Streams.clear();
            svidStreams.clear();
        }
        server.stop();
    }

    public boolean running() {
        return server.running();
    }

    /** Pushes one JWKS for one trust domain ID ("spiffe://example.org") to every open stream. */
    public void setBundle(String trustDomainId, String jwks) {
        setBundles(Map.of(trustDomainId, jwks.getBytes(StandardCharsets.UTF_8)));
    }

    /** Pushes a whole bundle map to every open stream and to every later call. */
    public synchronized void setBundles(Map<String, byte[]> bundles) {
        Map<String, ByteString> map = new LinkedHashMap<>();
        bundles.forEach((id, bytes) -> map.put(id, ByteString.copyFrom(bytes)));
        push(map);
    }

    /** Replaces one trust domain's entry of the map (adding it if absent) and pushes the map; the others stay. */
    public synchronized void setBundleOf(String trustDomainId, byte[] bundle) {
        Map<String, ByteString> map = new LinkedHashMap<>(latest == null ? Map.of() : latest.getBundlesMap());
        map.put(trustDomainId, ByteString.copyFrom(bundle));
        push(map);
    }

    /** Drops one trust domain from the map, as when a federation relationship is deleted, and pushes the rest. */
    public synchronized void removeBundleOf(String trustDomainId) {
        Map<String, ByteString> map = new LinkedHashMap<>(latest == null ? Map.of() : latest.getBundlesMap());
        map.remove(trustDomainId);
        push(map);
    }

    private void push(Map<String, ByteString> map) {
        latest = JWTBundlesResponse.newBuilder().putAllBundles(map).build();
        pushTo(streams, latest);
    }

    /** Sends {@code message} on every open stream of {@code open}, forgetting cancelled ones. */
    private static <T> void pushTo(Set<ServerCallStreamObserver<T>> open, T message) {
        for (ServerCallStreamObserver<T> stream : List.copyOf(open)) {
            if (stream.isCancelled()) {
                open.remove(stream);
            } else {
                stream.onNext(message);
            }
        }
    }

    /** Replaces one trust domain's X.509 authorities (DER certificates back to back) and pushes the X.509 map. */
    public synchronized void setX509BundleOf(String trustDomainId, byte[] certificates) {
        Map<String, ByteString> map = new LinkedHashMap<>(x509Latest == null ? Map.of() : x509Latest.getBundlesMap());
        map.put(trustDomainId, ByteString.copyFrom(certificates));
        pushX509(map);
    }

    /**
     * Sets the CRLs (one DER encoding each) that every later X.509 message carries beside the bundle map, and
     * pushes the map with them; an empty list drops them again.
     */
    public synchronized void setX509Crls(List<byte[]> crls) {
        x509Crls = crls.stream().map(ByteString::copyFrom).toList();
        pushX509(x509Latest == null ? Map.of() : x509Latest.getBundlesMap());
    }

    private void pushX509(Map<String, ByteString> map) {
        x509Latest = X509BundlesResponse.newBuilder().addAllCrl(x509Crls).putAllBundles(map).build();
        pushTo(x509Streams, x509Latest);
    }

    /** Ends open X.509 streams with UNAVAILABLE and answers new X.509 calls so until {@link #fixX509()}; JWT is untouched. */
    public synchronized void breakX509(String description) {
        x509Failure = Status.UNAVAILABLE.withDescription(description);
        for (ServerCallStreamObserver<X509BundlesResponse> stream : x509Streams) {
            stream.onError(x509Failure.asRuntimeException());
        }
        x509Streams.clear();
    }

    public synchronized void fixX509() {
        x509Failure = null;
    }

    /**
     * Pushes one X509-SVID (chain as DER back to back, the SVID first; key as PKCS#8 DER; the trust domain's
     * bundle) to every open FetchX509SVID stream and to every later call.
     */
    public synchronized void setX509Svid(String spiffeId, byte[] chain, byte[] pkcs8Key, byte[] bundle) {
        svidLatest = X509SVIDResponse.newBuilder().addSvids(X509SVID.newBuilder()
                .setSpiffeId(spiffeId)
                .setX509Svid(ByteString.copyFrom(chain))
                .setX509SvidKey(ByteString.copyFrom(pkcs8Key))
                .setBundle(ByteString.copyFrom(bundle)))
                .build();
        pushTo(svidStreams, svidLatest);
    }

    /** FetchX509SVID calls received with a valid header. */
    public int x509SvidCalls() {
        return svidCalls.get();
    }

    /** FetchX509Bundles calls received with a valid header. */
    public int x509Calls() {
        return x509Calls.get();
    }

    /** Like a deleted registration entry: open streams end and new calls get PERMISSION_DENIED until {@link #allow()}. */
    public synchronized void deny() {
        mode = Mode.DENY;
        for (ServerCallStreamObserver<JWTBundlesResponse> stream : streams) {
            stream.onError(noIdentity());
        }
        streams.clear();
    }

    /** New calls are accepted and then never answered, like a wedged agent. Open streams are left alone. */
    public synchronized void stall() {
        mode = Mode.STALL;
    }

    /** Back to normal for new calls. */
    public synchronized void allow() {
        mode = Mode.SERVE;
    }

    /** FetchJWTBundles calls received with a valid header, including denied and stalled ones. */
    public int calls() {
        return calls.get();
    }

    public synchronized int openStreams() {
        streams.removeIf(ServerCallStreamObserver::isCancelled);
        return streams.size();
    }

    @Override
    public void close() {
        stop();
        server.close();
    }

    private static io.grpc.StatusRuntimeException noIdentity() {
        return Status.PERMISSION_DENIED.withDescription("no identity issued").asRuntimeException();
    }

    private final class Service extends SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIImplBase {
        @Override
        public void fetchX509SVID(X509SVIDRequest request, StreamObserver<X509SVIDResponse> observer) {
            svidCalls.incrementAndGet();
            ServerCallStreamObserver<X509SVIDResponse> stream = (ServerCallStreamObserver<X509SVIDResponse>) observer;
            synchronized (FakeWorkloadApi.this) {
                if (mode == Mode.DENY) {
                    stream.onError(noIdentity());
                    return;
                }
                stream.setOnCancelHandler(() -> {
                });
                if (mode == Mode.SERVE) {
                    svidStreams.add(stream);
                    if (svidLatest != null) {
                        stream.onNext(svidLatest);
                    }
                }
            }
        }

        @Override
        public void fetchX509Bundles(X509BundlesRequest request, StreamObserver<X509BundlesResponse> observer) {
            x509Calls.incrementAndGet();
            ServerCallStreamObserver<X509BundlesResponse> stream = (ServerCallStreamObserver<X509BundlesResponse>) observer;
            synchronized (FakeWorkloadApi.this) {
                if (mode == Mode.DENY) {
                    stream.onError(noIdentity());
                } else if (x509Failure != null) {
                    stream.onError(x509Failure.asRuntimeException());
                } else {
                    stream.setOnCancelHandler(() -> {
                    });
                    if (mode == Mode.SERVE) {
                        x509Streams.add(stream);
                        if (x509Latest != null) {
                            stream.onNext(x509Latest);
                        }
                    }
                }
            }
        }

        @Override
        public void fetchJWTBundles(JWTBundlesRequest request, StreamObserver<JWTBundlesResponse> observer) {
            calls.incrementAndGet();
            ServerCallStreamObserver<JWTBundlesResponse> stream = (ServerCallStreamObserver<JWTBundlesResponse>) observer;
            synchronized (FakeWorkloadApi.this) {
                switch (mode) {
                    case DENY -> stream.onError(noIdentity());
                    case STALL -> stream.setOnCancelHandler(() -> {
                    });
                    case SERVE -> {
                        stream.setOnCancelHandler(() -> {
                        });
                        streams.add(stream);
                        if (latest != null) {
                            stream.onNext(latest);
                        }
                    }
                }
            }
        }
    }

    /** SPIRE's agent checks for exactly one value "true" before any Workload API handler runs. */
    private static final class RequireSecurityHeader implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            Iterable<String> values = headers.getAll(SECURITY_HEADER);
            List<String> list = values == null ? List.of() : toList(values);
            if (list.size() != 1 || !"true".equals(list.get(0))) {
                call.close(Status.INVALID_ARGUMENT.withDescription("security header missing from request"), new Metadata());
                return new ServerCall.Listener<>() {
                };
            }
            return next.startCall(call, headers);
        }

        private static List<String> toList(Iterable<String> values) {
            List<String> list = new java.util.ArrayList<>();
            values.forEach(list::add);
            return list;
        }
    }
}
