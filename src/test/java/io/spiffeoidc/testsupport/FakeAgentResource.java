package io.spiffeoidc.testsupport;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Starts a fake SPIRE agent before Quarkus, so the service meets a live Workload API at start-up as in
 * production. It serves one key, "agent-key-1", for spiffe://example.org. Tests drive it through the
 * control interface (port in config key {@value #CONTROL_PORT}) because test code and this resource
 * may be loaded by different class loaders.
 */
public class FakeAgentResource implements QuarkusTestResourceLifecycleManager {

    public static final String CONTROL_PORT = "test.fake-agent.control-port";
    public static final String TRUST_DOMAIN = "spiffe://example.org";
    public static final String FIRST_KID = "agent-key-1";

    private Path dir;
    private FakeWorkloadApi agent;
    private HttpServer control;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("fake-agent");
            Path socket = dir.resolve("agent.sock");
            agent = new FakeWorkloadApi(socket);
            agent.setBundle(TRUST_DOMAIN, TestKeys.jwks(TestKeys.ec(FIRST_KID)));
            agent.start();
            control = FakeWorkloadApiMain.control(agent, TRUST_DOMAIN, 0);
            return Map.of(
                    "spiffe-oidc.workload-api.socket", "unix://" + socket,
                    CONTROL_PORT, String.valueOf(control.getAddress().getPort()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        int port = ConfigProvider.getConfig().getValue(CONTROL_PORT, Integer.class);
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bundle"))
                        .POST(HttpRequest.BodyPublishers.ofString(jwks)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 204) {
            throw new AssertionError("fake agent refused the push: " + response.statusCode() + " " + response.body());
        }
    }
}
