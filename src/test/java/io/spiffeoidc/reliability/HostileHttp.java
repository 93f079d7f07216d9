package io.spiffeoidc.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;

/**
 * Hostile HTTP on the public HTTPS port. Every request carries a marker that must never come back; no
 * answer may be a 5xx; each case also has the statuses it may get.
 */
final class HostileHttp {

    static final String MARKER = "zqRLmark7731";
    private static final String H = "Host: 127.0.0.1\r\n";

    private final ReliabilitySuite suite;
    private final ServiceProcess service;

    HostileHttp(ReliabilitySuite suite, ServiceProcess service) {
        this.suite = suite;
        this.service = service;
    }

    /** A hand-written request and what it may get; -1 in allowed means "connection closed without answer" is fine. */
    record Case(String name, byte[] request, boolean head, Set<Integer> allowed) {
        static Case of(String name, String request, Integer... allowed) {
            return new Case(name, request.getBytes(StandardCharsets.UTF_8), request.startsWith("HEAD "), Set.of(allowed));
        }
    }

    /** Tally of one group of cases. */
    private static final class Tally {
        long requests;
        long failures;
        final List<String> problems = new ArrayList<>();
        final java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();

        synchronized void check(Case c, Wire.Exchange exchange) {
            requests++;
            statuses.merge(exchange.status(), 1, Integer::sum);
            String problem = null;
            if (exchange.statuses().stream().anyMatch(s -> s >= 500)) {
                problem = "5xx " + exchange.statuses();
            } else if (exchange.text().toLowerCase(Locale.ROOT).contains(MARKER.toLowerCase(Locale.ROOT))) {
                problem = "marker echoed back";
            } else if (exchange.text().contains("Error id")) {
                problem = "generic error page instead of the fixed JSON body";
            } else if (!c.allowed().isEmpty() && !c.allowed().contains(exchange.status())) {
                problem = "got " + exchange.describe() + ", expected one of " + c.allowed();
            }
            if (problem != null) {
                failures++;
                if (problems.size() < 6) {
                    problems.add(c.name() + ": " + problem);
                }
            }
        }

        String summary() {
            return requests + " requests, statuses " + statuses.toString().replace("-1=", "closed=")
                    + (problems.isEmpty() ? "" : "; PROBLEMS: " + problems);
        }
    }

    List<Row> run() {
        List<Row> rows = new ArrayList<>();
        try {
            int rounds = suite.longMode ? 4 : 1;
            long rssBefore = service.rssKb();
            int metricsBefore = lines(service.metrics());
            long rssAfterFirst = -1;
            for (int round = 1; round <= rounds; round++) {
                List<Row> roundRows = new ArrayList<>();
                roundRows.add(group("Oversized request line and headers", "400/414/431 or connection closed; no 5xx; no echo",
                        oversized()));
                roundRows.add(distinctHosts());
                roundRows.add(group("Malformed and non-punycode Host values", "400 (LOCALHOST: 200); no 5xx; no echo", hosts()));
                roundRows.add(group("CRLF, bare CR/LF and NUL in the request head", "400, or 200/404 where the head still parses;"
                        + " no 5xx; no injected header; no echo", controlCharacters()));
                roundRows.add(group("Path traversal and encoded dot segments", "400/404 (200 only for the exact paths); no 5xx;"
                        + " no echo", paths()));
                roundRows.add(group("Unusual methods (CONNECT, TRACE, PROPFIND, garbage ...)", "405 with Allow on the documents,"
                        + " 400 for malformed methods; no 5xx; TRACE never echoes", methods()));
                roundRows.add(protocols());
                if (round == 1) {
                    rows.addAll(roundRows);
                    rssAfterFirst = service.rssKb();
                } else {
                    for (Row row : roundRows) {
                        if (!row.passed()) {
                            rows.add(new Row(row.scenario() + " (round " + round + ")", row.expected(), row.observed(),
                                    row.requests(), row.failures(), false));
                        }
                    }
                }
            }
            rows.add(slowAndIdle());
            long rssAfter = service.rssKb();
            int metricsAfter = lines(service.metrics());
            long growthMb = (rssAfter - rssBefore) / 1024;
            long plateauMb = (rssAfter - rssAfterFirst) / 1024;
            boolean alive = service.process.isAlive() && service.awaitServing(Duration.ofSeconds(5));
            long failures = (growthMb > 96 ? 1 : 0) + (suite.longMode && plateauMb > 48 ? 1 : 0)
                    + (metricsAfter - metricsBefore > 150 ? 1 : 0) + (alive ? 0 : 1);
            rows.add(Row.of("Memory and metrics after the hostile traffic",
                    "service alive; RSS growth < 96 MB (heap capped at 128 MB)" + (suite.longMode ? ", < 48 MB from round 1 to the end" : "")
                            + "; /q/metrics grows by < 150 lines (no series per host or path)",
                    "VmRSS " + rssBefore / 1024 + " MB before, " + rssAfterFirst / 1024 + " MB after round 1, " + rssAfter / 1024
                            + " MB at the end (" + rounds + " round(s)); /q/metrics " + metricsBefore + " -> " + metricsAfter
                            + " lines; serving after: " + alive,
                    2, failures));
        } catch (Exception e) {
            rows.add(Row.failed("Hostile HTTP", "run to the end", "aborted: " + e));
        }
        return rows;
    }

    private static int lines(String text) {
        return text.isEmpty() ? 0 : text.split("\n").length;
    }

    private Row group(String name, String expected, List<Case> cases) {
        Tally tally = new Tally();
        for (Case c : cases) {
            tally.check(c, Wire.exchange(suite.tls, service.port, c.request(), c.head()));
        }
        return Row.of(name, expected, tally.summary(), tally.requests, tally.failures);
    }

    // ---- cases ---------------------------------------------------------------------------------------

    private List<Case> oversized() {
        String longPath = "/keys?" + MARKER + "a".repeat(100_000);
        String bigHeader = "X-Big: " + MARKER + "b".repeat(100_000) + "\r\n";
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            many.append("X-H").append(i).append(": ").append(MARKER).append("\r\n");
        }
        return List.of(
                Case.of("100 kB request line", "GET " + longPath + " HTTP/1.1\r\n" + H + "\r\n", 400, 414, -1),
                Case.of("10 kB request line", "GET /keys?" + MARKER + "a".repeat(10_000) + " HTTP/1.1\r\n" + H + "\r\n", 400, 414, -1),
                Case.of("100 kB header", "GET /keys HTTP/1.1\r\n" + H + bigHeader + "\r\n", 400, 431, -1),
                Case.of("2000 headers", "GET /keys HTTP/1.1\r\n" + H + many + "\r\n", 400, 431, -1),
                Case.of("100 kB header name", "GET /keys HTTP/1.1\r\n" + H + "X" + MARKER + "c".repeat(100_000) + ": v\r\n\r\n",
                        400, 431, -1),
                Case.of("1 MB body on GET", "GET /keys HTTP/1.1\r\n" + H + "Content-Length: 1048576\r\n\r\n" + MARKER
                        + "d".repeat(1_048_576 - MARKER.length()), 200, 400, 413, -1));
    }

    private Row distinctHosts() throws Exception {
        int hosts = suite.longMode ? 20_000 : 3_000;
        int paths = suite.longMode ? 5_000 : 1_000;
        int connections = 4;
        AtomicLong requests = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        java.util.Map<Integer, AtomicInteger> statuses = new java.util.concurrent.ConcurrentSkipListMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int lane = c;
            done.add(pool.submit(() -> {
                SSLSocket socket = null;
                for (int i = lane; i < hosts + paths; i += connections) {
                    boolean hostCase = i < hosts;
                    String request = hostCase
                            ? "GET /keys HTTP/1.1\r\nHost: h" + i + "-" + MARKER + ".example\r\n\r\n"
                            : "GET /nope-" + i + "-" + MARKER + " HTTP/1.1\r\n" + H + "\r\n";
                    int expected = hostCase ? 400 : 404;
                    try {
                        if (socket == null) {
                            socket = suite.tls.connect(service.port, 5000);
                        }
                        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                        Wire.Response response = Wire.read(socket.getInputStream(), false);
                        requests.incrementAndGet();
                        if (response == null) {
                            socket.close();
                            socket = null;
                            statuses.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
                            continue;
                        }
                        statuses.computeIfAbsent(response.status(), k -> new AtomicInteger()).incrementAndGet();
                        if (response.status() != expected || response.text().toLowerCase(Locale.ROOT)
                                .contains(MARKER.toLowerCase(Locale.ROOT))) {
                            failures.incrementAndGet();
                            if (problems.size() < 5) {
                                problems.add(request.split("\r\n")[hostCase ? 1 : 0] + " -> " + response.status());
                            }
                        }
                        if (response.head().toLowerCase(Locale.ROOT).contains("connection: close")) {
                            socket.close();
                            socket = null;
                        }
                    } catch (IOException e) {
                        requests.incrementAndGet();
                        failures.incrementAndGet();
                        if (problems.size() < 5) {
                            problems.add(e.toString());
                        }
                        socket = null;
                    }
                }
                if (socket != null) {
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get(5, TimeUnit.MINUTES);
        }
        pool.shutdownNow();
        return Row.of("Thousands of distinct Host values (and 404 paths)", "400 for every unknown Host, 404 for every unknown path,"
                + " on keep-alive connections; no 5xx; no echo",
                hosts + " distinct Host values and " + paths
                        + " distinct paths over " + connections + " keep-alive connections: statuses " + statuses
                        + (problems.isEmpty() ? "" : "; PROBLEMS: " + problems),
                requests.get(), failures.get());
    }

    private List<Case> hosts() {
        List<Case> cases = new ArrayList<>();
        String[] bad = {"b\u00fccher.example", "xn--", "xn--bcher-kva.example", "evil-" + MARKER + ".example", "[::1", "local host",
                "127.0.0.1:99999", "user@127.0.0.1", "127.0.0.1/" + MARKER, "%31%32%37.0.0.1", "", "127.0.0.1\t" + MARKER,
                "localhost..", "-" + MARKER + "-", "x".repeat(300) + MARKER, "a.".repeat(200) + MARKER, "127.0.0.1:8443:1",
                "\u0441\u0430\u0439\u0442.example", "127.0.0.1\u0000" + MARKER, "*", "127.0.0.1;" + MARKER};
        for (String host : bad) {
            cases.add(Case.of("Host " + host.replace("\u0000", "\\0"), "GET /keys HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400, -1));
        }
        cases.add(Case.of("no Host header", "GET /keys HTTP/1.1\r\nX-M: " + MARKER + "\r\n\r\n", 400, -1));
        cases.add(Case.of("two Host headers", "GET /keys HTTP/1.1\r\n" + H + "Host: evil-" + MARKER + ".example\r\n\r\n", 400, -1));
        cases.add(Case.of("LOCALHOST", "GET /keys HTTP/1.1\r\nHost: LOCALHOST\r\nX-M: " + MARKER + "\r\n\r\n", 200));
        cases.add(Case.of("absolute-form to another host", "GET https://evil-" + MARKER + ".example/keys HTTP/1.1\r\n" + H + "\r\n",
                400, -1));
        return cases;
    }

    private List<Case> controlCharacters() {
        return List.of(
                Case.of("bare CR in a header value", "GET /keys HTTP/1.1\r\n" + H + "X-A: a\r" + MARKER + "\r\n\r\n", 200, 400, -1),
                Case.of("NUL in a header value", "GET /keys HTTP/1.1\r\n" + H + "X-A: a\u0000" + MARKER + "\r\n\r\n", 200, 400, -1),
                Case.of("NUL in a header name", "GET /keys HTTP/1.1\r\n" + H + "X-\u0000" + MARKER + ": a\r\n\r\n", 400, -1),
                Case.of("NUL in the path", "GET /keys\u0000" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 400, 404, -1),
                Case.of("bare LF line endings", "GET /keys HTTP/1.1\n" + H.replace("\r", "") + "X-M: " + MARKER + "\n\n", 200, 400, -1),
                Case.of("obsolete line folding", "GET /keys HTTP/1.1\r\n" + H + "X-A: a\r\n " + MARKER + "\r\n\r\n", 200, 400, -1),
                Case.of("space before colon", "GET /keys HTTP/1.1\r\n" + H + "X-A : " + MARKER + "\r\n\r\n", 200, 400, -1),
                Case.of("encoded CRLF in the path", "GET /keys%0d%0aX-Injected:%20" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 400, 404),
                Case.of("CRLF in the query", "GET /keys?a=%0d%0aX-Injected:" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 200, 400, 404),
                Case.of("Content-Length with Transfer-Encoding", "POST /keys HTTP/1.1\r\n" + H + "Content-Length: 4\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 400, 405, 404, 413, -1),
                Case.of("two Content-Length values", "POST /keys HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 40\r\n\r\n"
                        + MARKER, 400, 405, 413, -1),
                Case.of("bad chunk size", "POST /keys HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz" + MARKER + "\r\n\r\n",
                        400, 405, 413, -1),
                Case.of("UTF-8 in a header name", "GET /keys HTTP/1.1\r\n" + H + "X-\u00e9" + MARKER + ": a\r\n\r\n", 200, 400, -1),
                Case.of("request line with tabs", "GET\t/keys\tHTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200, 400, -1));
    }

    private List<Case> paths() {
        String[] paths = {"/../keys", "/%2e%2e/keys", "/.well-known/../keys", "/keys/..", "/./keys", "//keys", "/keys%00",
                "/keys;" + MARKER, "/%2fkeys", "/.well-known/%2e/openid-configuration", "/.well-known//openid-configuration", "/keys/",
                "/KEYS", "/keys%2F", "/..%5c..%5c" + MARKER, "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/../../../../etc/passwd",
                "/.well-known/openid-configuration/..", "/.well-known/openid-configuration%2F..%2Fkeys", "/%6beys", "/keys%20",
                "/.%2e/keys", "/keys/.", "/" + MARKER + "/../keys", "/keys\\..\\" + MARKER, "/%u002e%u002e/keys", "/%c0%ae%c0%ae/keys",
                "/%252e%252e/keys", "/q/health/ready", "/q/metrics", "/q/dev-ui", "keys", "*"};
        List<Case> cases = new ArrayList<>();
        for (String path : paths) {
            cases.add(Case.of("path " + path, "GET " + path + " HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 400, 404, -1));
        }
        cases.add(Case.of("absolute-form of /keys", "GET https://127.0.0.1/keys HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n",
                200, 400));
        cases.add(Case.of("fragment", "GET /keys#" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 200, 400, 404));
        cases.add(Case.of("exact /keys with query", "GET /keys?x=" + MARKER + " HTTP/1.1\r\n" + H + "\r\n", 200));
        return cases;
    }

    private List<Case> methods() {
        List<Case> cases = new ArrayList<>();
        for (String target : List.of("/keys", "/.well-known/openid-configuration")) {
            cases.add(Case.of("GET " + target, "GET " + target + " HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200));
            cases.add(Case.of("HEAD " + target, "HEAD " + target + " HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200));
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL",
                    "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "LINK", "ZZZ" + MARKER.toUpperCase(Locale.ROOT))) {
                cases.add(Case.of(method + " " + target, method + " " + target + " HTTP/1.1\r\n" + H + "X-M: " + MARKER
                        + "\r\nContent-Length: 0\r\n\r\n", 405));
            }
        }
        cases.add(Case.of("CONNECT authority-form", "CONNECT 127.0.0.1:443 HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n",
                400, 404, 405, -1));
        cases.add(Case.of("CONNECT to another host", "CONNECT evil-" + MARKER + ".example:443 HTTP/1.1\r\nHost: evil-" + MARKER
                + ".example:443\r\n\r\n", 400, -1));
        cases.add(Case.of("TRACE with a marker header", "TRACE / HTTP/1.1\r\n" + H + "X-Echo: " + MARKER + "\r\n\r\n", 404, 405));
        cases.add(Case.of("OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 400, 404, 405));
        cases.add(Case.of("method with NUL", "G\u0000ET /keys HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 400, 405, -1));
        cases.add(Case.of("method with UTF-8", "G\u00c9T /keys HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 400, 405, -1));
        cases.add(Case.of("method of 10 kB", "A".repeat(10_000) + " /keys HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n",
                400, 405, 414, -1));
        cases.add(Case.of("lower-case get", "get /keys HTTP/1.1\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 400, 405));
        cases.add(Case.of("TLS record of garbage after handshake", "\u0016\u0003\u0001" + MARKER + "\r\n\r\n", 400, -1));
        return cases;
    }

    private Row protocols() throws Exception {
        Tally tally = new Tally();
        List<Case> raw = List.of(
                Case.of("HTTP/1.0 without Host", "GET /keys HTTP/1.0\r\nX-M: " + MARKER + "\r\n\r\n", 400, -1),
                Case.of("HTTP/1.0 with Host", "GET /keys HTTP/1.0\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200),
                Case.of("HTTP/1.0 keep-alive", "GET /keys HTTP/1.0\r\n" + H + "Connection: keep-alive\r\nX-M: " + MARKER + "\r\n\r\n", 200),
                Case.of("HTTP/0.9 request", "GET /keys\r\n\r\n", 400, -1),
                Case.of("HTTP/1.2", "GET /keys HTTP/1.2\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200, 400, 505, -1),
                Case.of("HTTP/2.0 on an HTTP/1 connection", "GET /keys HTTP/2.0\r\n" + H + "X-M: " + MARKER + "\r\n\r\n", 200, 400, 505, -1),
                Case.of("HTTP/2 preface without ALPN", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + MARKER, 400, -1),
                Case.of("garbage protocol", "GET /keys HTPT/1.1" + MARKER + "\r\n" + H + "\r\n", 400, -1));
        for (Case c : raw) {
            Wire.Exchange exchange = Wire.exchange(suite.tls, service.port, c.request(), false);
            if (c.name().equals("HTTP/1.2") || c.name().startsWith("HTTP/2.0 on")) {
                // 505 HTTP Version Not Supported is the RFC 9110 answer; it is counted, not failed.
                Case relaxed = new Case(c.name(), c.request(), false, c.allowed());
                if (exchange.statuses().equals(List.of(505)) && !exchange.text().toLowerCase(Locale.ROOT)
                        .contains(MARKER.toLowerCase(Locale.ROOT))) {
                    tally.requests++;
                    tally.statuses.merge(505, 1, Integer::sum);
                    continue;
                }
                tally.check(relaxed, exchange);
            } else {
                tally.check(c, exchange);
            }
        }
        HttpClient h2 = suite.tls.client(HttpClient.Version.HTTP_2);
        String versions = "";
        for (String path : List.of("/keys", "/.well-known/openid-configuration", "/nope-" + MARKER)) {
            HttpResponse<String> response = h2.send(HttpRequest.newBuilder(URI.create(service.url(path)))
                    .timeout(Duration.ofSeconds(5)).header("X-M", MARKER).GET().build(), HttpResponse.BodyHandlers.ofString());
            int expected = path.startsWith("/nope") ? 404 : 200;
            versions += path.replace(MARKER, "M") + " " + response.version() + " " + response.statusCode() + ", ";
            Case c = new Case("HTTP/2 " + path, new byte[0], false, Set.of(expected));
            tally.check(c, new Wire.Exchange(List.of(response.statusCode()), response.headers().toString() + response.body(), ""));
            if (response.version() != HttpClient.Version.HTTP_2) {
                tally.failures++;
                tally.problems.add("HTTP/2 not negotiated for " + path + " (" + response.version() + ")");
            }
        }
        HttpResponse<String> post = h2.send(HttpRequest.newBuilder(URI.create(service.url("/keys"))).timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(MARKER)).build(), HttpResponse.BodyHandlers.ofString());
        tally.check(new Case("HTTP/2 POST", new byte[0], false, Set.of(405, 413)),
                new Wire.Exchange(List.of(post.statusCode()), post.body(), ""));
        versions += "POST /keys " + post.version() + " " + post.statusCode();
        return Row.of("HTTP/1.0, HTTP/0.9, odd versions and HTTP/2 (ALPN)", "HTTP/1.0 with Host 200, without Host 400;"
                + " malformed versions 400 (or 505); HTTP/2 negotiated by ALPN with the same answers; no echo",
                tally.summary() + "; HTTP/2: " + versions, tally.requests, tally.failures);
    }

    // ---- idle and slow connections -------------------------------------------------------------------

    private Row slowAndIdle() throws Exception {
        Duration phase = suite.longMode ? Duration.ofSeconds(60) : Duration.ofSeconds(15);
        List<Socket> idle = new ArrayList<>();
        List<SSLSocket> slow = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int idleOpened = 0;
        int slowOpened = 0;
        try {
            for (int i = 0; i < 500; i++) {
                try {
                    if (i % 2 == 0) {
                        idle.add(suite.tls.connect(service.port, 5000)); // TLS done, no request
                    } else {
                        Socket plain = new Socket();
                        plain.connect(new InetSocketAddress(Tls.LOOPBACK, service.port), 5000);
                        idle.add(plain); // TCP only, no TLS ClientHello
                    }
                    idleOpened++;
                } catch (IOException e) {
                    if (problems.size() < 3) {
                        problems.add("idle connection " + i + ": " + e);
                    }
                }
            }
            byte[] request = ("GET /keys HTTP/1.1\r\n" + H + "X-Slow: " + MARKER + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 100; i++) {
                try {
                    slow.add(suite.tls.connect(service.port, 5000));
                    slowOpened++;
                } catch (IOException e) {
                    if (problems.size() < 3) {
                        problems.add("slow connection " + i + ": " + e);
                    }
                }
            }
            // One byte per connection every interval, so the request completes just before the phase ends.
            long interval = Math.max(50, phase.toMillis() * 9 / 10 / request.length);
            AtomicInteger position = new AtomicInteger();
            AtomicInteger writeErrors = new AtomicInteger();
            ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
            trickle.scheduleAtFixedRate(() -> {
                int at = position.getAndIncrement();
                if (at >= request.length) {
                    return;
                }
                for (SSLSocket socket : slow) {
                    try {
                        OutputStream out = socket.getOutputStream();
                        out.write(request[at]);
                        out.flush();
                    } catch (IOException e) {
                        writeErrors.incrementAndGet();
                    }
                }
            }, 0, interval, TimeUnit.MILLISECONDS);

            // The well-behaved client: keep-alive requests every 50 ms and a new connection every 500 ms.
            PoliteClient polite = new PoliteClient(suite.tls, service);
            Thread.sleep(phase.toMillis());
            PoliteClient.Result seen = polite.stop();
            problems.addAll(seen.problems());
            trickle.shutdownNow();
            trickle.awaitTermination(5, TimeUnit.SECONDS);
            // Did the trickled requests get answered once complete?
            int answered = 0;
            int echoed = 0;
            for (SSLSocket socket : slow) {
                try {
                    socket.setSoTimeout(3000);
                    Wire.Response response = Wire.read(socket.getInputStream(), false);
                    if (response != null && response.status() == 200) {
                        answered++;
                    }
                    if (response != null && response.text().toLowerCase(Locale.ROOT).contains(MARKER.toLowerCase(Locale.ROOT))) {
                        echoed++;
                    }
                } catch (IOException e) {
                    // closed or not answered in time
                }
            }
            int idleStillOpen = 0;
            for (Socket socket : idle) {
                try {
                    socket.setSoTimeout(1);
                    InputStream in = socket.getInputStream();
                    if (in.read() != -1) {
                        idleStillOpen++;
                    }
                } catch (java.net.SocketTimeoutException open) {
                    idleStillOpen++;
                } catch (IOException closed) {
                    // closed by the server
                }
            }
            long failures = seen.bad() + echoed + (seen.maxMillis() > 2000 ? 1 : 0) + (idleOpened < 500 || slowOpened < 100 ? 1 : 0);
            if (seen.maxMillis() > 2000) {
                problems.add("well-behaved max latency " + seen.maxMillis() + " ms > 2000 ms");
            }
            String observed = idleOpened + " idle (half TLS-handshaken, half bare TCP) and " + slowOpened
                    + " slow-trickle connections (1 byte every " + interval + " ms) for " + phase.toSeconds() + " s: well-behaved client "
                    + seen.describe() + "; trickled requests answered 200: " + answered + "/" + slowOpened + " (write errors "
                    + writeErrors.get() + "); idle connections still open at the end: " + idleStillOpen + "/" + idleOpened
                    + (problems.isEmpty() ? "" : "; PROBLEMS: " + problems);
            return Row.of("500 idle + 100 slow-trickle connections", "well-behaved client gets 200 on every request, max latency"
                    + " < 2 s; no 5xx; no echo", observed, seen.requests() + slowOpened, failures);
        } finally {
            for (Socket socket : idle) {
                closeQuietly(socket);
            }
            for (Socket socket : slow) {
                closeQuietly(socket);
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @SuppressWarnings("unused")
    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Arrays.stream(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
