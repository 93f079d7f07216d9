package io.spiffeoidc.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** One running instance of the packaged service, and the ways the suite looks at it. */
final class ServiceProcess {

    /** Status and body of GET /q/health/ready; status -1 when the management port did not answer. */
    record Health(int status, String body) {
        boolean up() {
            return status == 200;
        }

        boolean down() {
            return status == 503;
        }
    }

    final String name;
    final Process process;
    final String scheme;
    final int port;
    final int managementPort;
    final Path log;
    private final HttpClient client;
    private final HttpClient plainClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile String managementScheme;

    ServiceProcess(String name, Process process, String scheme, int port, int managementPort, Path log, Tls tls) {
        this.name = name;
        this.process = process;
        this.scheme = scheme;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
        this.client = tls.client(HttpClient.Version.HTTP_1_1);
    }

    String url(String path) {
        return scheme + "://127.0.0.1:" + port + path;
    }

    String issuer() {
        return scheme + "://127.0.0.1:" + port;
    }

    HttpClient client() {
        return client;
    }

    long pid() {
        return process.pid();
    }

    /** VmRSS of the service process in kB, from /proc. */
    long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** User plus system CPU time of the service process in seconds, from /proc; -1 when unreadable. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid()), "stat"));
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until /keys answers 200; false after the timeout or when the process exits. */
    boolean awaitServing(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                if (get("/keys").statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * The management interface serves HTTPS with the default TLS configuration in some builds and plain
     * HTTP in others: try HTTPS with the test CA, then HTTP, and remember what worked.
     */
    Health health() throws InterruptedException {
        String known = managementScheme;
        for (String candidate : known != null ? new String[] {known} : new String[] {"https", "http"}) {
            try {
                HttpClient using = candidate.equals("https") ? client : plainClient;
                HttpResponse<String> response = using.send(HttpRequest.newBuilder(
                        URI.create(candidate + "://127.0.0.1:" + managementPort + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
                managementScheme = candidate;
                return new Health(response.statusCode(), response.body());
            } catch (IOException e) {
                // the other scheme, or not up
            }
        }
        return new Health(-1, "");
    }

    String metrics() throws InterruptedException {
        health(); // settles the management scheme
        String using = managementScheme == null ? "http" : managementScheme;
        try {
            HttpClient http = using.equals("https") ? client : plainClient;
            return http.send(HttpRequest.newBuilder(URI.create(using + "://127.0.0.1:" + managementPort + "/q/metrics"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        }
    }

    String managementScheme() {
        return managementScheme;
    }

    /**
     * The sum of every series of one metric in Prometheus text (e.g. all reasons of a counter), NaN when the
     * text has none (the management port did not answer, or the metric is not registered).
     */
    static double metricSum(String metrics, String name) {
        double sum = Double.NaN;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                sum = Double.isNaN(sum) ? value : sum + value;
            }
        }
        return sum;
    }

    /** The service log's lines from line {@code from} (0-based) on; the log is appended to, never rewritten. */
    List<String> logLines(int from) throws IOException {
        List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
        return lines.subList(Math.min(from, lines.size()), lines.size());
    }
}
