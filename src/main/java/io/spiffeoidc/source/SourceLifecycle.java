package io.spiffeoidc.source;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.ProviderConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/** Starts the configured source after the configuration check and stops it on shutdown. */
@ApplicationScoped
public class SourceLifecycle {

    /** After {@link io.spiffeoidc.config.ConfigCheck}. */
    static final int START_PRIORITY = 100;

    private static final Logger LOG = Logger.getLogger(SourceLifecycle.class);

    @Inject
    ProviderConfig config;

    @Inject
    BundlePublisher publisher;

    private BundleSource source;

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        source = create(config);
        LOG.infof("Reading keys from %s", source.describe());
        source.start(publisher);
    }

    void stop(@Observes ShutdownEvent event) {
        if (source != null) {
            source.close();
        }
    }

    static BundleSource create(ProviderConfig config) {
        return switch (config.source()) {
            case FILE -> new FileBundleSource(config.file().path().orElseThrow(), config.file().pollInterval());
            case WORKLOAD_API, SERVER_API -> throw new IllegalStateException(
                    "spiffe-oidc.source=" + config.source().label() + " is not available in this build");
        };
    }
}
