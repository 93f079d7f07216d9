package io.spiffeoidc.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A well-behaved relying party on a thread of its own while hostile connections are open: GET /keys every
 * 50 ms over one keep-alive connection, every tenth request on a new TLS connection (so the accept path
 * is measured too). Every answer must be 200; every latency is kept for the percentiles.
 */
final class PoliteClient implements AutoCloseable {

    /** What the client saw, latencies in milliseconds. */
    record Result(long requests, long bad, List<String> problems, long p50Millis, long p99Millis, long maxMillis,
            long freshMaxMillis) {

        String describe() {
            return (requests - bad) + "/" + requests + " answered 200, latency p50 " + p50Millis + " ms, p99 " + p99Millis
                    + " ms, max " + maxMillis + " ms (new-connection requests max " + freshMaxMillis + " ms)";
        }
    }

    private static final byte[] FRESH = ("GET /keys HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    private final Tls tls;
    private final ServiceProcess service;
    private final HttpClient client;
    private final Thread thread;
    private final List<String> problems = new ArrayList<>();
    private long[] latencies = new long[1024];
    private int count;
    private long bad;
    private long freshMax;
    private volatile boolean running = true;

    PoliteClient(Tls tls, ServiceProcess service) {
        this.tls = tls;
        this.service = service;
        this.client = tls.client(HttpClient.Version.HTTP_1_1);
        this.thread = new Thread(this::loop, "polite-client-" + service.name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        int n = 0;
        while (running) {
            long t0 = System.nanoTime();
            int status;
            boolean fresh = n++ % 10 == 0;
            try {
                status = fresh ? Wire.exchange(tls, service.port, FRESH, false).status()
                        : client.send(HttpRequest.newBuilder(URI.create(service.url("/keys"))).timeout(Duration.ofSeconds(5))
                                .GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                status = -1;
            } catch (InterruptedException e) {
                return;
            }
            record((System.nanoTime() - t0) / 1_000_000, fresh, status);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void record(long millis, boolean fresh, int status) {
        if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
        }
        latencies[count++] = millis;
        if (fresh) {
            freshMax = Math.max(freshMax, millis);
        }
        if (status != 200) {
            bad++;
            if (problems.size() < 5) {
                problems.add("well-behaved request got " + status);
            }
        }
    }

    /** Stops the client and returns what it saw. */
    Result stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(10_000);
        synchronized (this) {
            long[] sorted = Arrays.copyOf(latencies, count);
            Arrays.sort(sorted);
            return new Result(count, bad, List.copyOf(problems), percentile(sorted, 50), percentile(sorted, 99),
                    count == 0 ? 0 : sorted[count - 1], freshMax);
        }
    }

    private static long percentile(long[] sorted, int percent) {
        return sorted.length == 0 ? 0 : sorted[Math.max(0, (int) Math.ceil(sorted.length * percent / 100.0) - 1)];
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
    }
}
