package io.spiffeoidc.aot;

import io.spiffeoidc.testsupport.Await;
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
 *
 * <p>The load looks like the traffic a replica takes: HTTP/1.1 keep-alive requests from several connections at
 * once (what relying parties and load balancers send), and a share over one HTTP/2 connection, so that the
 * method profiles the cache keeps are those of the paths that will be hot, not of a single connection's.
 */
public final class TrainingWorkload {

    /** Requests per document and round, over all connections: enough for C2 to compile the serving path. */
    static final int REQUESTS = 12_000;
    /** Concurrent HTTP/1.1 keep-alive connections. */
    static final int CONNECTIONS = 8;

    private final HttpClient client;
    private final HttpClient[] keepAlive = new HttpClient[CONNECTIONS];
    private final URI base;

    public TrainingWorkload(SSLContext trust, URI base) {
        this.client = HttpClient.newBuilder().sslContext(trust).build();
        for (int i = 0; i < CONNECTIONS; i++) {
            keepAlive[i] = HttpClient.newBuilder().sslContext(trust).version(HttpClient.Version.HTTP_1_1).build();
        }
        this.base = base;
    }

    /** Waits until /keys serves {@code kid}, for at most ten seconds. */
    public void awaitKey(String kid) {
        Await.until("/keys to serve " + kid, () -> keys().contains(kid), this::keys);
    }

    /**
     * Both documents {@value #REQUESTS} times each from {@value #CONNECTIONS} HTTP/1.1 connections at once, a tenth
     * of that over HTTP/2, plus HEAD and a 404; fails on any other status.
     */
    public void serve() {
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(CONNECTIONS);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (HttpClient connection : keepAlive) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < REQUESTS / CONNECTIONS; i++) {
                        expect(connection, 200, "GET", "/keys");
                        expect(connection, 200, "GET", "/.well-known/openid-configuration");
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> each : done) {
                each.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } finally {
            threads.shutdownNow();
        }
        for (int i = 0; i < REQUESTS / 10; i++) {
            expect(client, 200, "GET", "/keys");
            expect(client, 200, "GET", "/.well-known/openid-configuration");
        }
        expect(client, 200, "HEAD", "/keys");
        expect(client, 404, "GET", "/not-a-document");
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

    private void expect(HttpClient over, int status, String method, String path) {
        HttpResponse<String> response = send(over, method, path);
        if (response.statusCode() != status) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ", not " + status);
        }
    }

    private HttpResponse<String> send(String method, String path) {
        return send(client, method, path);
    }

    private HttpResponse<String> send(HttpClient over, String method, String path) {
        try {
            return over.send(HttpRequest.newBuilder(base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
