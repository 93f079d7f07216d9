package io.spiffeoidc.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A well-behaved relying party polling /keys every 100 ms while a fault is injected: every answer must be
 * 200 with exactly one of the versions currently allowed (the last good one, and the next once pushed).
 */
final class Watch implements AutoCloseable {

    private final ServiceProcess service;
    private final Versions versions;
    private final Set<Integer> allowed = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    Watch(ServiceProcess service, Versions versions, int... allowedVersions) {
        this.service = service;
        this.versions = versions;
        for (int version : allowedVersions) {
            allowed.add(version);
        }
        thread = new Thread(this::loop, "watch-" + service.name);
        thread.setDaemon(true);
        thread.start();
    }

    void allow(int version) {
        allowed.add(version);
    }

    private void loop() {
        while (running) {
            try {
                HttpResponse<String> response = service.client().send(HttpRequest.newBuilder(URI.create(service.url("/keys")))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                requests.incrementAndGet();
                Integer version = response.statusCode() == 200 ? versions.match(response.body()) : null;
                if (response.statusCode() != 200) {
                    fail("status " + response.statusCode());
                } else if (version == null) {
                    fail("body is no published version: " + abbreviate(response.body()));
                } else if (!allowed.contains(version)) {
                    fail("served version " + version + ", allowed " + allowed);
                } else {
                    firstSeen.putIfAbsent(version, System.nanoTime());
                }
            } catch (IOException e) {
                requests.incrementAndGet();
                fail("request failed: " + e);
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void fail(String problem) {
        failures.incrementAndGet();
        if (problems.size() < 5) {
            problems.add(problem);
        }
    }

    static String abbreviate(String text) {
        return text.length() > 120 ? text.substring(0, 120) + "..." : text;
    }

    /** System.nanoTime() when the version was first served, waiting up to the timeout; -1 if never. */
    long awaitVersion(int version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Long seen = firstSeen.get(version);
            if (seen != null) {
                return seen;
            }
            Thread.sleep(20);
        }
        Long seen = firstSeen.get(version);
        return seen == null ? -1 : seen;
    }

    long requests() {
        return requests.get();
    }

    long failures() {
        return failures.get();
    }

    List<String> problems() {
        return problems;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(10_000);
    }
}
