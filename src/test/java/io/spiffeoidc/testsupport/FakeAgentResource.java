package io.spiffeoidc.testsupport;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Starts a fake SPIRE agent before Quarkus, so the service meets a live Workload API at start-up as in
 * production. It serves one key, "agent-key-1", for spiffe://example.org. Tests drive it through the
 * control interface (port in config key {@value #CONTROL_PORT}) because test code and this resource
 * may be loaded by different class loaders. With the init argument {@value #FEDERATED} (comma-separated
 * trust domain IDs) the map also holds one bundle per federated trust domain, each with its own key under
 * the same kid "agent-key-1". Its X.509 bundle stream serves one CA certificate per trust domain
 * (CN "example.org CA", "partner.example CA", ...); with {@value #WITHOUT_X509} (a trust domain ID) that
 * one has none.
 */
public class FakeAgentResource implements QuarkusTestResourceLifecycleManager {

    public static final String CONTROL_PORT = "test.fake-agent.control-port";
    public static final String TRUST_DOMAIN = "spiffe://example.org";
    public static final String FIRST_KID = "agent-key-1";
    public static final String FEDERATED = "federated";
    public static final String WITHOUT_X509 = "without-x509";

    private List<String> federated = List.of();
    private String withoutX509 = "";

    private Path dir;
    private FakeWorkloadApi agent;
    private HttpServer control;

    /**
     * Sends one control command ("/bundle", "/remove?trust-domain=spiffe://td", ...) to the agent of the
     * running test, whose control port Quarkus holds in its configuration.
     */
    public static void command(String command, String body) throws IOException, InterruptedException {
        int port = org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue(CONTROL_PORT, Integer.class);
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + command))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new AssertionError("fake agent refused " + command + ": " + response.statusCode() + " " + response.body());
        }
    }

    @Override
    public void init(Map<String, String> initArgs) {
        String listed = initArgs.getOrDefault(FEDERATED, "");
        federated = listed.isEmpty() ? List.of() : List.of(listed.split(","));
        withoutX509 = initArgs.getOrDefault(WITHOUT_X509, "");
    }

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("fake-agent");
            Path socket = dir.resolve("agent.sock");
            agent = new FakeWorkloadApi(socket);
            agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec(FIRST_KID)));
            for (String id : federated) {
                agent.setBundleOf(id, TestBundles.jwks(TestBundles.ec(FIRST_KID)).getBytes(StandardCharsets.UTF_8));
            }
            for (String id : java.util.stream.Stream.concat(java.util.stream.Stream.of(TRUST_DOMAIN), federated.stream()).toList()) {
                if (!id.equals(withoutX509)) {
                    agent.setX509BundleOf(id, TestPki.concatenated(TestPki.authority(caName(id))));
                }
            }
            agent.start();
            control = FakeWorkloadApiMain.control(agent, TRUST_DOMAIN, 0);
            return Map.of(
                    "spiffe-oidc.workload-api.socket", "unix://" + socket,
                    CONTROL_PORT, String.valueOf(control.getAddress().getPort()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The configuration of a service reading example.org from this agent on localhost, plus {@code more}
     * (property, value pairs), for test profiles.
     */
    public static Map<String, String> agentSource(String... more) {
        Map<String, String> config = new java.util.HashMap<>(Map.of("spiffe-oidc.source", "workload-api",
                "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains", "localhost"));
        for (int i = 0; i < more.length; i += 2) {
            config.put(more[i], more[i + 1]);
        }
        return config;
    }

    /** The common name of the CA the agent starts with for {@code trustDomainId}. */
    public static String caName(String trustDomainId) {
        return trustDomainId.substring("spiffe://".length()) + " CA";
    }

    @Override
    public void stop() {
        stopAll(control, agent, dir, "agent.sock");
    }

    /** Stops a fake and its control interface and removes its socket directory; any of them may be null. */
    static void stopAll(HttpServer control, AutoCloseable fake, Path dir, String socketName) {
        if (control != null) {
            control.stop(0);
        }
        try {
            if (fake != null) {
                fake.close();
            }
            if (dir != null) {
                Files.deleteIfExists(dir.resolve(socketName));
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Pushes {@code jwks} as the trust domain's bundle through the control interface of the agent this
     * resource started (its port is in the test's configuration).
     */
    public static void pushBundle(String jwks) throws IOException, InterruptedException {
        command("/bundle", jwks);
    }
}
