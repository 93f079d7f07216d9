package io.spiffeoidc.source;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import io.spiffeoidc.config.IssuerSettings;
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
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Starts the configured source after the configuration check and stops it on shutdown. */
@ApplicationScoped
public class SourceLifecycle {

    /** After {@link io.spiffeoidc.config.ConfigCheck}. */
    static final int START_PRIORITY = 100;

    private static final Logger LOG = Logger.getLogger(SourceLifecycle.class);

    @Inject
    ProviderConfig config;

    /** How often the grace period of missing trust domains is checked: the period is minutes to hours. */
    static final Duration GRACE_CHECK_INTERVAL = Duration.ofSeconds(1);

    @Inject
    TrustDomainPublishers publishers;

    private final List<BundleSource> sources = new ArrayList<>();
    private ScheduledExecutorService graceCheck;

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        BundleSource source = create(config);
        Map<String, BundleSink> federated = new LinkedHashMap<>();
        List<IssuerSettings> issuers = IssuerSettings.all(config);
        for (IssuerSettings issuer : issuers.subList(1, issuers.size())) {
            BundlePublisher publisher = publishers.federated().get(issuer.trustDomain());
            switch (config.source()) {
                case WORKLOAD_API -> federated.put(issuer.spiffeId(), publisher);
                case SERVER_API -> federated.put(issuer.trustDomain(), publisher);
                case FILE -> {
                    FileBundleSource file = new FileBundleSource(issuer.file().orElseThrow(), config.file().pollInterval());
                    sources.add(file);
                    LOG.infof("Reading keys of %s from %s", issuer.trustDomain(), file.describe());
                    file.start(publisher);
                }
            }
        }
        if (source instanceof WorkloadApiSource workload) {
            workload.start(publishers.primary(), federated);
        } else if (source instanceof ServerApiSource server) {
            server.start(publishers.primary(), federated);
        } else {
            source.start(publishers.primary());
        }
        LOG.infof("Reading keys from %s", source.describe());
        sources.add(0, source);
        graceCheck = Executors.newSingleThreadScheduledExecutor(FileBundleSource.daemon("trust-domain-grace"));
        Duration grace = config.missingTrustDomainGracePeriod();
        graceCheck.scheduleWithFixedDelay(() -> publishers.withdrawAbsent(grace), GRACE_CHECK_INTERVAL.toMillis(),
                GRACE_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (graceCheck != null) {
            graceCheck.shutdownNow();
        }
        sources.forEach(BundleSource::close);
    }

    static BundleSource create(ProviderConfig config) {
        return switch (config.source()) {
            case FILE -> new FileBundleSource(config.file().path().orElseThrow(), config.file().pollInterval());
            case WORKLOAD_API -> new WorkloadApiSource(socket(config.workloadApi().socket()), trustDomain(config).spiffeId());
            case SERVER_API -> new ServerApiSource(socket(config.serverApi().socket()), trustDomain(config).name(),
                    config.serverApi().pollInterval(), Clock.systemUTC());
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
