package io.spiffeoidc.svid;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.tls.SvidServingCertificate;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Follows the agent's X509-SVIDs for the public listener when spiffe-oidc.tls.serving-certificate=workload-api,
 * from start-up (before the bundle source, so the first handshake can succeed as early as the first document)
 * until shutdown.
 */
@ApplicationScoped
public class SvidLifecycle {

    static final int START_PRIORITY = 90;

    @Inject
    ProviderSettings settings;

    @Inject
    SvidServingCertificate certificate;

    private X509SvidStream stream;

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        settings.tls().svidSocket().ifPresent(socket -> {
            stream = new X509SvidStream(socket, certificate);
            stream.start();
        });
    }

    void stop(@Observes ShutdownEvent event) {
        if (stream != null) {
            stream.close();
        }
    }
}
