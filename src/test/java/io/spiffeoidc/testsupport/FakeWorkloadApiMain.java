package io.spiffeoidc.testsupport;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link FakeWorkloadApi} as a process, for suites that run the packaged service against an agent:
 *
 * <pre>
 * java -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
 *     -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     io.spiffeoidc.testsupport.FakeWorkloadApiMain --socket /tmp/agent.sock \
 *     [--control-port 0] [--trust-domain spiffe://example.org] [--bundle-file bundle.json]
 *     [--map-file map.json]
 * </pre>
 *
 * {@code --map-file} starts with a whole bundle map ({"spiffe://td": {jwks}, ...}), for several trust domains.
 *
 * The first line on stdout is {@code control-port=NNNNN}; the control interface listens on 127.0.0.1 only.
 * Every endpoint takes POST and answers 204 (400 for a body it cannot use):
 * <ul>
 * <li>/bundle: the body is a JWKS, pushed as the trust domain's bundle to every open stream</li>
 * <li>/bundle?trust-domain=spiffe://td: the body replaces that trust domain's entry only; the rest of the map stays</li>
 * <li>/remove?trust-domain=spiffe://td: drops that trust domain from the map and pushes the rest</li>
 * <li>/map: the body is a whole bundle map {"spiffe://td": {jwks}, ...}, pushed as is</li>
 * <li>/garbage: pushes bytes that are not JSON as the trust domain's bundle (with ?trust-domain=, as that
 * trust domain's entry only)</li>
 * <li>/x509 (optionally ?trust-domain=spiffe://td): the body is PEM certificates, pushed as that trust domain's
 * X.509 authorities (DER back to back) on the X.509 bundle stream</li>
 * <li>/x509-garbage (optionally ?trust-domain=): pushes bytes that are no certificate as the X.509 authorities</li>
 * <li>/x509-crl: the body is PEM CRLs ("X509 CRL" blocks), carried beside the bundle map in this and every later
 * X.509 message; an empty body drops them</li>
 * <li>/x509-break: ends X.509 bundle streams with UNAVAILABLE and refuses new ones; /x509-fix undoes it</li>
 * <li>/deny: ends open streams and answers new calls PERMISSION_DENIED "no identity issued"; /allow undoes it</li>
 * <li>/stall: new calls are accepted and never answered; /allow undoes it</li>
 * <li>/stop: kills the agent and removes the socket; /start brings it back on the same path</li>
 * </ul>
 * GET /status answers {@code running=true calls=N streams=N}.
 */
public final class FakeWorkloadApiMain {

    private FakeWorkloadApiMain() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = options(args);
        String trustDomain = options.getOrDefault("--trust-domain", "spiffe://example.org");
        FakeWorkloadApi agent = new FakeWorkloadApi(Path.of(required(options, "--socket")));
        if (options.containsKey("--bundle-file")) {
            agent.setBundle(trustDomain, Files.readString(Path.of(options.get("--bundle-file"))));
        }
        if (options.containsKey("--map-file")) {
            try {
                agent.setBundles(bundleMap(Files.readString(Path.of(options.get("--map-file")))));
            } catch (java.text.ParseException e) {
                System.err.println("--map-file: not a JSON object: " + e.getMessage());
                System.exit(2);
            }
        }
        agent.start();
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close));

        HttpServer control = control(agent, trustDomain, Integer.parseInt(options.getOrDefault("--control-port", "0")));
        System.out.println("control-port=" + control.getAddress().getPort());
        System.out.flush();
    }

    /** Starts the loopback control interface for {@code agent}; tests in this JVM use it too. */
    public static HttpServer control(FakeWorkloadApi agent, String trustDomain, int port) throws IOException {
        // The JDK server writes the status line and the body separately; with Nagle on, the body waits for
        // the client's delayed ACK (up to 40 ms), which would be counted as key-propagation time.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Map<String, Command> commands = new HashMap<>();
        commands.put("/bundle", (body, one) -> {
            if (one == null) {
                agent.setBundle(trustDomain, body);
            } else {
                agent.setBundleOf(one, body.getBytes(StandardCharsets.UTF_8));
            }
        });
        commands.put("/remove", (body, one) -> agent.removeBundleOf(java.util.Objects.requireNonNull(one, "?trust-domain= is required")));
        commands.put("/map", (body, one) -> agent.setBundles(bundleMap(body)));
        commands.put("/garbage", (body, one) -> {
            if (one == null) {
                agent.setBundles(Map.of(trustDomain, GARBAGE));
            } else {
                agent.setBundleOf(one, GARBAGE);
            }
        });
        commands.put("/x509", (body, one) -> agent.setX509BundleOf(one == null ? trustDomain : one, derOfPem(body)));
        commands.put("/x509-garbage", (body, one) -> agent.setX509BundleOf(one == null ? trustDomain : one, GARBAGE));
        commands.put("/x509-crl", (body, one) -> agent.setX509Crls(dersOfPemCrls(body)));
        commands.put("/x509-break", (body, one) -> agent.breakX509("X.509 bundle stream broken by the test"));
        commands.put("/x509-fix", (body, one) -> agent.fixX509());
        commands.put("/deny", (body, one) -> agent.deny());
        commands.put("/allow", (body, one) -> agent.allow());
        commands.put("/stall", (body, one) -> agent.stall());
        commands.put("/stop", (body, one) -> agent.stop());
        commands.put("/start", (body, one) -> agent.start());
        HttpServer control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        control.createContext("/", exchange -> handle(exchange, agent, commands));
        control.start();
        return control;
    }

    @FunctionalInterface
    private interface Command {
        void run(String body, String trustDomain) throws Exception;
    }

    private static final byte[] GARBAGE = {0, (byte) 0xff, '{'};

    /** PEM certificates to their DER back to back, as the agent sends X.509 authorities. */
    static byte[] derOfPem(String pem) throws java.security.cert.CertificateException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        dersOfPem(pem).forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** PEM certificates to one DER encoding each, as the SPIRE server lists X.509 authorities. */
    static java.util.List<byte[]> dersOfPem(String pem) throws java.security.cert.CertificateException {
        java.util.List<byte[]> ders = new java.util.ArrayList<>();
        for (java.security.cert.Certificate certificate : java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificates(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            ders.add(certificate.getEncoded());
        }
        return ders;
    }

    /** PEM CRLs to one DER encoding each, as the agent sends them in X509BundlesResponse's crl field. */
    static java.util.List<byte[]> dersOfPemCrls(String pem) throws java.security.cert.CertificateException,
            java.security.cert.CRLException {
        java.util.List<byte[]> ders = new java.util.ArrayList<>();
        for (java.security.cert.CRL crl : java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCRLs(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
            ders.add(((java.security.cert.X509CRL) crl).getEncoded());
        }
        return ders;
    }

    private static void handle(HttpExchange exchange, FakeWorkloadApi agent, Map<String, Command> commands) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/status")) {
                reply(exchange, 200, "running=" + agent.running() + " calls=" + agent.calls() + " streams=" + agent.openStreams() + "\n");
                return;
            }
            Command command = commands.get(path);
            if (command == null || !exchange.getRequestMethod().equals("POST")) {
                reply(exchange, 404, "unknown command\n");
                return;
            }
            try {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                // Wall-clock time of the push, so that a client in another process can time propagation
                // from the agent's send rather than from its own control request.
                Instant pushedAt = Instant.now();
                command.run(body, trustDomainParameter(exchange.getRequestURI().getRawQuery()));
                exchange.getResponseHeaders().set("Pushed-At-Micros",
                        Long.toString(ChronoUnit.MICROS.between(Instant.EPOCH, pushedAt)));
                exchange.sendResponseHeaders(204, -1);
            } catch (Exception e) {
                reply(exchange, 400, e + "\n");
            }
        }
    }

    /** The value of ?trust-domain=..., or null. */
    private static String trustDomainParameter(String query) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("trust-domain=")) {
                return java.net.URLDecoder.decode(pair.substring("trust-domain=".length()), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    static void reply(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static Map<String, byte[]> bundleMap(String json) throws java.text.ParseException {
        Map<String, byte[]> map = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : JSONObjectUtils.parse(json).entrySet()) {
            Object value = entry.getValue();
            String document = value instanceof String s ? s : JSONObjectUtils.toJSONString(castMap(value));
            map.put(entry.getKey(), document.getBytes(StandardCharsets.UTF_8));
        }
        return map;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, ?> castMap(Object value) {
        return (Map<String, ?>) value;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        return options;
    }

    private static String required(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            System.err.println("usage: FakeWorkloadApiMain --socket PATH [--control-port N] [--trust-domain ID] [--bundle-file FILE] [--map-file FILE]");
            System.exit(2);
        }
        return value;
    }
}
