package io.spiffeoidc.source;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.SourceSettings;
import io.spiffeoidc.source.server.ServerApiSource;
import io.spiffeoidc.source.workload.WorkloadApiSource;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/** Starts the configured source once the configuration is validated and stops it on shutdown. */
@ApplicationScoped
public class SourceLifecycle {

    /** After the start-up validation in {@link io.spiffeoidc.ProviderBeans}. */
    static final int START_PRIORITY = 100;

    private static final Logger LOG = Logger.getLogger(SourceLifecycle.class);

    @Inject
    ProviderSettings settings;

    @Inject
    BundlePublisher publisher;

    private BundleSource source;

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        source = create(settings.source());
        LOG.infof("Reading keys from %s", source.describe());
        source.start(publisher);
    }

    void stop(@Observes ShutdownEvent event) {
        if (source != null) {
            source.close();
        }
    }

    static BundleSource create(SourceSettings settings) {
        if (settings instanceof SourceSettings.File file) {
            return new FileBundleSource(file.path(), file.pollInterval());
        }
        if (settings instanceof SourceSettings.WorkloadApi agent) {
            return new WorkloadApiSource(agent.socket(), agent.trustDomain().spiffeId());
        }
        SourceSettings.ServerApi server = (SourceSettings.ServerApi) settings;
        return new ServerApiSource(server.socket(), server.trustDomain().name(), server.pollInterval());
    }
}
