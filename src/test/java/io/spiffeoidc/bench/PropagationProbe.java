package io.spiffeoidc.bench;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Key propagation through the real service: pushes a bundle with a new key to the fake agent and polls
 * {@code /keys} over one keep-alive HTTPS connection until the new kid appears. Prints one line with
 * p50/p99/max in milliseconds. Arguments: agent-control-port keys-url ca.pem rotations
 */
public final class PropagationProbe {

    public static void main(String[] args) throws Exception {
        int controlPort = Integer.parseInt(args[0]);
        URI keys = URI.create(args[1]);
        int rotations = Integer.parseInt(args[3]);
        HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(trusting(Path.of(args[2]))).connectTimeout(Duration.ofSeconds(5)).build();
        HttpClient control = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI push = URI.create("http://127.0.0.1:" + controlPort + "/bundle");
        JWK previous = new ECKeyGenerator(Curve.P_256).keyID("rotation-base").generate().toPublicJWK();
        // The first rotations also warm the connection and both JVMs' code paths: not measured.
        int warmUp = 5;
        double[] millis = new double[rotations];
        for (int i = -warmUp; i < rotations; i++) {
            JWK next = new ECKeyGenerator(Curve.P_256).keyID("rotation-" + (i + warmUp)).generate().toPublicJWK();
            // A rotation as SPIRE does it: the new key joins, the previous one stays for the overlap.
            String jwks = JSONObjectUtils.toJSONString(Map.of("keys", List.of(previous.toJSONObject(), next.toJSONObject())));
            String marker = "\"rotation-" + (i + warmUp) + "\"";
            long start = System.nanoTime();
            HttpResponse<Void> pushed = control.send(HttpRequest.newBuilder(push).POST(HttpRequest.BodyPublishers.ofString(jwks)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (pushed.statusCode() / 100 != 2) {
                throw new IllegalStateException("the fake agent refused the push: " + pushed.statusCode());
            }
            long deadline = start + Duration.ofSeconds(10).toNanos();
            while (true) {
                HttpResponse<String> response = https.send(HttpRequest.newBuilder(keys).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains(marker)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("rotation-" + (i + warmUp) + " not served within 10 s");
                }
            }
            if (i >= 0) {
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            previous = next;
            Thread.sleep(100);
        }
        Arrays.sort(millis);
        System.out.printf("%d rotations: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", rotations,
                millis[(int) Math.ceil(0.50 * rotations) - 1], millis[(int) Math.ceil(0.99 * rotations) - 1],
                millis[rotations - 1]);
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private PropagationProbe() {
    }
}
