package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestKeys;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar in its production profile: HTTPS from PEM files, keys from the Workload API of a fake
 * agent, both documents and a rotation. With {@code quarkus.package.jar.aot.enabled} this run is also the
 * AOT cache's training run, so it takes the paths a production start takes: TLS handshakes, both
 * documents, the agent's stream and a pushed update.
 */
// No @TestProfile: Quarkus records the AOT cache only for integration tests that run the plain
// production configuration, so the settings come from test resources (passed as system properties).
@QuarkusIntegrationTest
@WithTestResource(FakeAgentResource.class)
@WithTestResource(PackagedServiceIT.ProductionSettings.class)
class PackagedServiceIT {

    static final Path DIR = Path.of("target/packaged-it").toAbsolutePath();
    /** Requests per document: enough for the JIT to see the serving path as hot during training. */
    static final int ROUNDS = 2_000;

    /** The production profile's settings for an HTTPS listener with a certificate from a test CA. */
    public static class ProductionSettings implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            TestPki pki = TestPki.newCa();
            pki.saveTo(DIR);
            pki.issue("localhost").writeTo(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
            return Map.of(
                    "spiffe-oidc.source", "workload-api",
                    "spiffe-oidc.trust-domain", "example.org",
                    "spiffe-oidc.domains", "localhost",
                    // the production port 9000 may be taken on a shared build machine
                    "quarkus.management.port", "0",
                    "quarkus.tls.public.key-store.pem.0.cert", DIR.resolve("tls.crt").toString(),
                    "quarkus.tls.public.key-store.pem.0.key", DIR.resolve("tls.key").toString());
        }

        @Override
        public void stop() {
        }
    }

    final HttpClient client = HttpClient.newBuilder().sslContext(TestPki.loadFrom(DIR).clientContext()).build();
    final URI base = URI.create("https://localhost:" + ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class));

    @Test
    void servesBothDocumentsOverHttpsAndFollowsTheAgent() throws Exception {
        Waits.until("the agent's first key served", () -> keys().contains(FakeAgentResource.FIRST_KID), this::keys);
        String discovery = get("/.well-known/openid-configuration").body();
        assertTrue(discovery.contains("\"jwks_uri\":\"https://localhost:" + base.getPort() + "/keys\""), discovery);

        FakeAgentResource.pushBundle(TestKeys.jwks(TestKeys.ec(FakeAgentResource.FIRST_KID), TestKeys.ec("agent-key-2")));
        Waits.until("the rotated keys served", () -> keys().contains("agent-key-2"), this::keys);

        for (int i = 0; i < ROUNDS; i++) {
            assertEquals(200, get("/keys").statusCode());
            assertEquals(200, get("/.well-known/openid-configuration").statusCode());
        }
        assertEquals(404, get("/nothing-here").statusCode());
    }

    private String keys() {
        HttpResponse<String> response = get("/keys");
        return response.statusCode() == 200 ? response.body() : "status " + response.statusCode();
    }

    private HttpResponse<String> get(String path) {
        try {
            return client.send(HttpRequest.newBuilder(base.resolve(path)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
