package io.spiffeoidc.testsupport;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.JWK;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.spiffeoidc.source.server.proto.Bundle;
import io.spiffeoidc.source.server.proto.BundleGrpc;
import io.spiffeoidc.source.server.proto.GetBundleRequest;
import io.spiffeoidc.source.server.proto.GetFederatedBundleRequest;
import io.spiffeoidc.source.server.proto.ListFederatedBundlesRequest;
import io.spiffeoidc.source.server.proto.ListFederatedBundlesResponse;
import io.spiffeoidc.source.server.proto.JWTKey;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SPIRE server's Bundle API on a real Unix socket: GetBundle answers with whatever bundle the test
 * set, GetFederatedBundle and ListFederatedBundles with the federated bundles the test set (NOT_FOUND
 * for a trust domain without one, as SPIRE answers).
 */
public final class FakeSpireServer implements AutoCloseable {

    private final UnixGrpcServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile Bundle bundle = Bundle.getDefaultInstance();
    private final Map<String, Bundle> federated = new ConcurrentHashMap<>();

    public FakeSpireServer(Path socket) {
        this.server = new UnixGrpcServer(socket, new Service().bindService());
    }

    public void start() {
        server.start();
    }

    public void stop() {
        server.stop();
    }

    public void setBundle(String trustDomain, List<JWTKey> jwtAuthorities) {
        setBundle(trustDomain, jwtAuthorities, 0, 0);
    }

    /** With SPIRE's sequence number and refresh hint (seconds); 0 leaves either unset. */
    public void setBundle(String trustDomain, List<JWTKey> jwtAuthorities, long sequence, long refreshHint) {
        bundle = Bundle.newBuilder().setTrustDomain(trustDomain).addAllJwtAuthorities(jwtAuthorities)
                .setSequenceNumber(sequence).setRefreshHint(refreshHint).build();
    }

    /** Sets (or with {@code null} deletes) the federated bundle of {@code trustDomain}. */
    public void setFederatedBundle(String trustDomain, List<JWTKey> jwtAuthorities) {
        if (jwtAuthorities == null) {
            federated.remove(trustDomain);
        } else {
            federated.put(trustDomain, Bundle.newBuilder().setTrustDomain(trustDomain).addAllJwtAuthorities(jwtAuthorities).build());
        }
    }

    public int calls() {
        return calls.get();
    }

    /** A JWT authority as SPIRE stores it: PKIX DER public key, key id, expiry in Unix seconds (0 = none). */
    public static JWTKey jwtKey(JWK key, long expiresAt, boolean tainted) {
        return JWTKey.newBuilder()
                .setKeyId(key.getKeyID())
                .setPublicKey(ByteString.copyFrom(TestBundles.pkixDer(key)))
                .setExpiresAt(expiresAt)
                .setTainted(tainted)
                .build();
    }

    @Override
    public void close() {
        server.close();
    }

    private final class Service extends BundleGrpc.BundleImplBase {
        @Override
        public void getBundle(GetBundleRequest request, StreamObserver<Bundle> observer) {
            calls.incrementAndGet();
            if (!request.getOutputMask().getJwtAuthorities()) {
                observer.onError(Status.INVALID_ARGUMENT.withDescription("test expects jwt_authorities in the mask").asRuntimeException());
                return;
            }
            observer.onNext(bundle);
            observer.onCompleted();
        }

        @Override
        public void getFederatedBundle(GetFederatedBundleRequest request, StreamObserver<Bundle> observer) {
            calls.incrementAndGet();
            Bundle found = federated.get(request.getTrustDomain());
            if (found == null) {
                observer.onError(Status.NOT_FOUND.withDescription("bundle not found").asRuntimeException());
                return;
            }
            observer.onNext(found);
            observer.onCompleted();
        }

        @Override
        public void listFederatedBundles(ListFederatedBundlesRequest request, StreamObserver<ListFederatedBundlesResponse> observer) {
            calls.incrementAndGet();
            observer.onNext(ListFederatedBundlesResponse.newBuilder().addAllBundles(federated.values()).build());
            observer.onCompleted();
        }
    }
}
