package io.spiffeoidc.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The serving certificate's files replaced under a running service with quarkus.tls.reload-period=1s: by
 * garbage, by a certificate whose key does not match, then by a good new pair. Which certificate is served
 * is read from a brand-new handshake (no session resumption) after each step.
 */
final class TlsFaults {

    static final List<String> ROWS = List.of("TLS: certificate and key files replaced by garbage",
            "TLS: certificate replaced by one that does not match the key", "TLS: good new certificate and key");

    private final ReliabilitySuite suite;
    private final ServiceProcess service;
    private final Path liveCert;
    private final Path liveKey;

    TlsFaults(ReliabilitySuite suite, ServiceProcess service, Path liveCert, Path liveKey) {
        this.suite = suite;
        this.service = service;
        this.liveCert = liveCert;
        this.liveKey = liveKey;
    }

    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        String a = Tls.fingerprint(suite.certA);
        String b = Tls.fingerprint(suite.certB);
        Duration settle = Duration.ofMillis(3500);
        try (Watch watch = new Watch(service, suite.fileVersions, 0)) {
            String before = served();
            if (!a.equals(before)) {
                rows.add(Row.failed("TLS: baseline", "certificate A served", "served " + describe(before, a, b)));
                return rows;
            }
            replace(liveCert, "not a certificate\n".getBytes());
            replace(liveKey, "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n".getBytes());
            rows.add(keep(ROWS.get(0), settle, a, b, watch));

            replace(liveCert, Files.readAllBytes(suite.certB));
            replace(liveKey, Files.readAllBytes(suite.keyA));
            rows.add(keep(ROWS.get(1), settle, a, b, watch));

            long t0 = System.nanoTime();
            replace(liveKey, Files.readAllBytes(suite.keyB));
            replace(liveCert, Files.readAllBytes(suite.certB));
            String now = null;
            long deadline = t0 + Duration.ofSeconds(8).toNanos();
            while (System.nanoTime() < deadline) {
                now = served();
                if (b.equals(now)) {
                    break;
                }
                Thread.sleep(200);
            }
            long requests = watch.requests();
            long failures = watch.failures() + (b.equals(now) ? 0 : 1);
            String observed = b.equals(now)
                    ? "new certificate B served in new handshakes " + FaultStep.seconds(System.nanoTime() - t0) + " after the files changed"
                    : "after 8 s new handshakes still get " + describe(now, a, b) + " (certificate reload not effective in this build)";
            rows.add(Row.of(ROWS.get(2), "new handshakes get the new certificate within a few reload periods; /keys 200 throughout",
                    observed + watchNote(watch), requests, failures));
        } catch (Exception e) {
            rows.add(Row.failed("TLS scenarios", "run to the end", "aborted: " + e));
        }
        return rows;
    }

    private Row keep(String name, Duration settle, String a, String b, Watch watch) throws InterruptedException {
        long requestsBefore = watch.requests();
        long failuresBefore = watch.failures();
        Thread.sleep(settle.toMillis());
        String now = served();
        int keysStatus = freshKeysStatus();
        long failures = watch.failures() - failuresBefore + (a.equals(now) ? 0 : 1) + (keysStatus == 200 ? 0 : 1);
        String observed = "after " + FaultStep.seconds(settle.toNanos()) + " (reload period 1 s) new handshakes get "
                + describe(now, a, b) + "; /keys over a new connection: " + (keysStatus < 0 ? "failed" : keysStatus)
                + "; service alive: " + service.process.isAlive() + watchNote(watch);
        return Row.of(name, "old certificate A kept for new handshakes; /keys 200 throughout", observed,
                watch.requests() - requestsBefore + 2, failures);
    }

    private static String watchNote(Watch watch) {
        return watch.problems().isEmpty() ? "" : "; watch problems: " + watch.problems();
    }

    private String served() {
        try {
            return suite.tls.servedFingerprint(service.port);
        } catch (IOException e) {
            return "handshake failed: " + e.getMessage();
        }
    }

    private int freshKeysStatus() {
        try (javax.net.ssl.SSLSocket socket = Tls.connect(suite.tls.newContext(), service.port, 5000)) {
            socket.getOutputStream().write("GET /keys HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes());
            Wire.Response response = Wire.read(socket.getInputStream(), false);
            return response == null ? -1 : response.status();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String describe(String fingerprint, String a, String b) {
        if (a.equals(fingerprint)) {
            return "certificate A (the old one)";
        }
        if (b.equals(fingerprint)) {
            return "certificate B (the new one)";
        }
        return String.valueOf(fingerprint);
    }

    private static void replace(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(temp, content);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
