package io.spiffeoidc.aot;

import io.spiffeoidc.testsupport.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.net.ssl.SSLContext;

/**
 * What a start-up cache is trained with, wherever it is made (the packaged-jar integration test in the
 * Maven build, {@link ImageTraining} in the container image build): HTTPS handshakes, both documents,
 * HEAD, an unknown path, and a key rotation pushed by the agent. The more of the serving path a training
 * run takes, the more of it the next start finds loaded, linked and profiled.
 */
public final class TrainingWorkload {

    /** Requests per document and round: enough for the JIT to see the serving path as hot. */
    static final int REQUESTS = 2_000;

    private final HttpClient client;
    private final URI base;

    public TrainingWorkload(SSLContext trust, URI base) {
        this.client = HttpClient.newBuilder().sslContext(trust).build();
        this.base = base;
    }

    /** Waits until /keys serves {@code kid}, for at most ten seconds. */
    public void awaitKey(String kid) {
        Waits.until("/keys to serve " + kid, () -> keys().contains(kid), this::keys);
    }

    /** Both documents {@value #REQUESTS} times each, plus HEAD and a 404; fails on any other status. */
    public void serve() {
        for (int i = 0; i < REQUESTS; i++) {
            expect(200, "GET", "/keys");
            expect(200, "GET", "/.well-known/openid-configuration");
        }
        expect(200, "HEAD", "/keys");
        expect(404, "GET", "/not-a-document");
    }

    public String discovery() {
        return send("GET", "/.well-known/openid-configuration").body();
    }

    /** The JWKS, or what came instead: a status, or no answer at all while the service starts. */
    public String keys() {
        try {
            HttpResponse<String> response = send("GET", "/keys");
            return response.statusCode() == 200 ? response.body() : "status " + response.statusCode();
        } catch (UncheckedIOException e) {
            return "no answer: " + e.getCause();
        }
    }

    /** True once the listener answers at all. */
    public boolean answers() {
        return !keys().startsWith("no answer");
    }

    private void expect(int status, String method, String path) {
        HttpResponse<String> response = send(method, path);
        if (response.statusCode() != status) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ", not " + status);
        }
    }

    private HttpResponse<String> send(String method, String path) {
        try {
            return client.send(HttpRequest.newBuilder(base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
