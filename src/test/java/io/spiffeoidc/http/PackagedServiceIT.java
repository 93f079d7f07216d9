package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.spiffeoidc.aot.TrainingWorkload;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestKeys;
import io.spiffeoidc.testsupport.TestPki;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar in its production profile: HTTPS from PEM files, keys from the Workload API of a fake
 * agent, both documents and a rotation. On JDK 25 this run is also the training run of the AOT cache
 * (quarkus.package.jar.aot.enabled), so it drives the {@link TrainingWorkload}.
 */
// No @TestProfile: Quarkus records the AOT cache only for integration tests that run the plain
// production configuration, so the settings come from test resources (passed as system properties).
@QuarkusIntegrationTest
@WithTestResource(FakeAgentResource.class)
@WithTestResource(PackagedServiceIT.ProductionSettings.class)
class PackagedServiceIT {

    static final Path DIR = Path.of("target/packaged-it").toAbsolutePath();

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

    @Test
    void servesBothDocumentsOverHttpsAndFollowsTheAgent() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        TrainingWorkload service = new TrainingWorkload(TestPki.loadFrom(DIR).clientContext(), URI.create("https://localhost:" + port));
        service.awaitKey(FakeAgentResource.FIRST_KID);
        String discovery = service.discovery();
        assertTrue(discovery.contains("\"jwks_uri\":\"https://localhost:" + port + "/keys\""), discovery);
        service.serve();

        FakeAgentResource.pushBundle(TestKeys.jwks(TestKeys.ec(FakeAgentResource.FIRST_KID), TestKeys.ec("agent-key-2")));
        service.awaitKey("agent-key-2");
        service.serve();
    }
}
