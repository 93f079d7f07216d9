package io.spiffeoidc.source;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.ProviderConfig;
import io.spiffeoidc.config.TrustDomain;
import io.spiffeoidc.config.UnixSocketAddress;
import io.spiffeoidc.source.server.ServerApiSource;
import io.spiffeoidc.source.workload.WorkloadApiSource;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Optional;
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
            case WORKLOAD_API -> new WorkloadApiSource(socket(config.workloadApi().socket()), trustDomain(config).spiffeId());
            case SERVER_API -> new ServerApiSource(socket(config.serverApi().socket()), trustDomain(config).name(),
                    config.serverApi().pollInterval());
        };
    }

    // ConfigCheck has already refused missing or malformed values, so these cannot fail after start-up.
    private static Path socket(Optional<String> setting) {
        return setting.flatMap(UnixSocketAddress::parse).orElseThrow();
    }

    private static TrustDomain trustDomain(ProviderConfig config) {
        return config.trustDomain().flatMap(TrustDomain::parse).orElseThrow();
    }
}
