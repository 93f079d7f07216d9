package io.spiffeoidc.bench;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.RawHttp;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Key propagation through the real service: pushes a bundle with a new key to the fake agent and polls
 * {@code /keys} over one keep-alive HTTPS connection until the new kid appears. Prints one line with
 * p50/p99/max in milliseconds, timed from the agent's push (the time it reports in its control answer) and,
 * as an upper bound, from this probe's control request. Arguments: agent-control-port keys-url ca.pem rotations
 */
public final class PropagationProbe {

    public static void main(String[] args) throws Exception {
        int controlPort = Integer.parseInt(args[0]);
        URI keys = URI.create(args[1]);
        int rotations = Integer.parseInt(args[3]);
        KeysPoller poller = new KeysPoller(keys, trusting(Path.of(args[2])));
        HttpClient control = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI push = URI.create("http://127.0.0.1:" + controlPort + "/bundle");
        JWK previous = new ECKeyGenerator(Curve.P_256).keyID("rotation-base").generate().toPublicJWK();
        // A service in production has a hot serving path from its verifiers' traffic, and this probe is slow
        // while it is interpreted: a few seconds of polling first keep its cold start out of the numbers.
        // The first rotations are not measured either.
        long warmUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < warmUntil) {
            poller.get();
        }
        int warmUp = 5;
        double[] fromPush = new double[rotations];
        double[] fromRequest = new double[rotations];
        for (int i = -warmUp; i < rotations; i++) {
            JWK next = new ECKeyGenerator(Curve.P_256).keyID("rotation-" + (i + warmUp)).generate().toPublicJWK();
            // A rotation as SPIRE does it: the new key joins, the previous one stays for the overlap.
            String jwks = JSONObjectUtils.toJSONString(Map.of("keys", List.of(previous.toJSONObject(), next.toJSONObject())));
            String marker = "\"rotation-" + (i + warmUp) + "\"";
            long requested = System.nanoTime();
            HttpResponse<Void> pushed = control.send(HttpRequest.newBuilder(push).POST(HttpRequest.BodyPublishers.ofString(jwks)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (pushed.statusCode() / 100 != 2) {
                throw new IllegalStateException("the fake agent refused the push: " + pushed.statusCode());
            }
            long pushedAtMicros = Long.parseLong(pushed.headers().firstValue("Pushed-At-Micros").orElseThrow());
            long deadline = requested + Duration.ofSeconds(10).toNanos();
            while (true) {
                RawHttp.Response response = poller.get();
                if (response.status() == 200 && response.body().contains(marker)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("rotation-" + (i + warmUp) + " not served within 10 s");
                }
            }
            if (i >= 0) {
                fromRequest[i] = (System.nanoTime() - requested) / 1e6;
                // Both clocks are this machine's wall clock, read in two processes.
                fromPush[i] = (ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()) - pushedAtMicros) / 1e3;
            }
            previous = next;
            Thread.sleep(100);
        }
        System.out.printf("%d rotations: p50 %s, p99 %s, max %s (from the agent's push; including the control request"
                + " to the agent: p50 %s, p99 %s)%n", rotations, percentile(fromPush, 0.50), percentile(fromPush, 0.99),
                percentile(fromPush, 1.0), percentile(fromRequest, 0.50), percentile(fromRequest, 0.99));
    }

    private static String percentile(double[] millis, double quantile) {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return String.format("%.1f ms", sorted[(int) Math.ceil(quantile * sorted.length) - 1]);
    }

    /**
     * GET over one keep-alive TLS connection, blocking. The JDK's HttpClient takes milliseconds per request
     * here, which would be counted as propagation time; a socket takes a fraction of one.
     */
    private static final class KeysPoller {
        private final SSLSocket socket;
        private final InputStream in;
        private final String request;

        KeysPoller(URI keys, SSLContext tls) throws Exception {
            socket = (SSLSocket) tls.getSocketFactory().createSocket(keys.getHost(), keys.getPort());
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            in = new BufferedInputStream(socket.getInputStream());
            request = "GET " + keys.getPath() + " HTTP/1.1\r\nHost: " + keys.getHost() + ":" + keys.getPort() + "\r\n\r\n";
        }

        RawHttp.Response get() throws Exception {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return RawHttp.read(in, false);
        }
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
