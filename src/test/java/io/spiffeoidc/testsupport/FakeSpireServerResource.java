package io.spiffeoidc.testsupport;

import com.nimbusds.jose.jwk.ECKey;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.spiffeoidc.source.server.proto.JWTKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Starts a fake SPIRE server before Quarkus with two JWT authorities of example.org, "expiring" and
 * "steady". Their private keys are handed to the test as configuration ({@value #EXPIRING_KEY},
 * {@value #STEADY_KEY}) so it can sign tokens; test code and this resource may live in different class
 * loaders, so the test drives the server through a loopback control interface (port in {@value #CONTROL_PORT}):
 * The bundle also holds one X.509 authority, a CA with CN "example.org CA"; POST /x509 (body: PEM) replaces
 * the X.509 authorities. POST /expire-soon (body: seconds; answers the expires_at it set), /taint-all, /calls (GetBundle calls so
 * far), /stop, /start.
 */
public class FakeSpireServerResource implements QuarkusTestResourceLifecycleManager {

    public static final String CONTROL_PORT = "test.fake-spire.control-port";
    public static final String EXPIRING_KEY = "test.fake-spire.expiring-key";
    public static final String STEADY_KEY = "test.fake-spire.steady-key";

    private Path dir;
    private FakeSpireServer server;
    private HttpServer control;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("fake-spire");
            Path socket = dir.resolve("api.sock");
            ECKey expiring = TestBundles.ec("expiring");
            ECKey steady = TestBundles.ec("steady");
            server = new FakeSpireServer(socket);
            server.setBundle("example.org", List.of(FakeSpireServer.jwtKey(expiring, 0, false),
                    FakeSpireServer.jwtKey(steady, 0, false)));
            server.setX509Authorities(List.of(TestPki.der(TestPki.authority("example.org CA"))));
            server.start();
            control = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            control.createContext("/", exchange -> {
                try (exchange) {
                    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).trim();
                    String answer = switch (exchange.getRequestURI().getPath()) {
                        case "/expire-soon" -> {
                            long at = Instant.now().plusSeconds(Long.parseLong(body)).getEpochSecond();
                            server.setBundle("example.org", List.of(FakeSpireServer.jwtKey(expiring, at, false),
                                    FakeSpireServer.jwtKey(steady, 0, false)));
                            yield Long.toString(at);
                        }
                        case "/taint-all" -> {
                            List<JWTKey> tainted = List.of(FakeSpireServer.jwtKey(expiring, 0, true),
                                    FakeSpireServer.jwtKey(steady, 0, true));
                            server.setBundle("example.org", tainted);
                            yield "tainted";
                        }
                        case "/x509" -> {
                            try {
                                server.setX509Authorities(FakeWorkloadApiMain.dersOfPem(body));
                            } catch (Exception e) {
                                throw new IllegalArgumentException(e);
                            }
                            yield "replaced";
                        }
                        case "/calls" -> Integer.toString(server.calls());
                        case "/stop" -> {
                            server.stop();
                            yield "stopped";
                        }
                        case "/start" -> {
                            server.start();
                            yield "started";
                        }
                        default -> null;
                    };
                    FakeWorkloadApiMain.reply(exchange, answer == null ? 404 : 200, answer == null ? "unknown command" : answer);
                }
            });
            control.start();
            return Map.of(
                    "spiffe-oidc.source", "server-api",
                    "spiffe-oidc.trust-domain", "example.org",
                    "spiffe-oidc.server-api.socket", "unix://" + socket,
                    "spiffe-oidc.server-api.poll-interval", "200ms",
                    CONTROL_PORT, String.valueOf(control.getAddress().getPort()),
                    EXPIRING_KEY, expiring.toJSONString(),
                    STEADY_KEY, steady.toJSONString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        FakeAgentResource.stopAll(control, server, dir, "api.sock");
    }
}
