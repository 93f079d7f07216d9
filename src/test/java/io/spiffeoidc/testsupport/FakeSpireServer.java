package io.spiffeoidc.testsupport;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.JWK;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.spiffeoidc.source.server.proto.Bundle;
import io.spiffeoidc.source.server.proto.BundleGrpc;
import io.spiffeoidc.source.server.proto.BundleMask;
import io.spiffeoidc.source.server.proto.GetBundleRequest;
import io.spiffeoidc.source.server.proto.GetFederatedBundleRequest;
import io.spiffeoidc.source.server.proto.JWTKey;
import io.spiffeoidc.source.server.proto.ListFederatedBundlesRequest;
import io.spiffeoidc.source.server.proto.ListFederatedBundlesResponse;
import io.spiffeoidc.source.server.proto.X509Certificate;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SPIRE server's Bundle API on a real Unix socket: GetBundle answers with whatever bundle the test
 * set, GetFederatedBundle and ListFederatedBundles with the federated bundles the test set (NOT_FOUND
 * for a trust domain without one, as SPIRE answers). Like SPIRE, every answer leaves out the fields its
 * output mask does not ask for.
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
                .addAllX509Authorities(bundle.getX509AuthoritiesList())
                .setSequenceNumber(sequence).setRefreshHint(refreshHint).build();
    }

    /** Replaces the X.509 authorities (DER, one certificate each) of the bundle GetBundle answers with. */
    public void setX509Authorities(List<byte[]> certificates) {
        bundle = bundle.toBuilder().clearX509Authorities().addAllX509Authorities(x509(certificates)).build();
    }

    /** A federated bundle with X.509 authorities as well. */
    public void setFederatedBundle(String trustDomain, List<JWTKey> jwtAuthorities, List<byte[]> x509Authorities) {
        federated.put(trustDomain, Bundle.newBuilder().setTrustDomain(trustDomain).addAllJwtAuthorities(jwtAuthorities)
                .addAllX509Authorities(x509(x509Authorities)).build());
    }

    private static List<X509Certificate> x509(List<byte[]> certificates) {
        return certificates.stream().map(der -> X509Certificate.newBuilder().setAsn1(ByteString.copyFrom(der)).build()).toList();
    }

    /** SPIRE's applyBundleMask: a field the mask does not ask for is cleared. */
    private static Bundle masked(Bundle bundle, BundleMask mask) {
        Bundle.Builder answer = bundle.toBuilder();
        if (!mask.getRefreshHint()) {
            answer.clearRefreshHint();
        }
        if (!mask.getSequenceNumber()) {
            answer.clearSequenceNumber();
        }
        if (!mask.getX509Authorities()) {
            answer.clearX509Authorities();
        }
        if (!mask.getJwtAuthorities()) {
            answer.clearJwtAuthorities();
        }
        return answer.build();
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
            observer.onNext(request.hasOutputMask() ? masked(bundle, request.getOutputMask()) : bundle);
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
            observer.onNext(request.hasOutputMask() ? masked(found, request.getOutputMask()) : found);
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
