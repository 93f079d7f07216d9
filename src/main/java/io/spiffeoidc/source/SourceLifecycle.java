package io.spiffeoidc.source;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import io.spiffeoidc.config.Issuer;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.SourceSettings;
import io.spiffeoidc.source.server.ServerApiSource;
import io.spiffeoidc.source.workload.WorkloadApiSource;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts the configured source once the configuration is validated and stops it on shutdown. Federated
 * trust domains ride on the same source (the agent's one stream, the server's own socket) or, with the
 * file source, get one file source each.
 */
@ApplicationScoped
public class SourceLifecycle {

    /** After the configuration is validated. */
    static final int START_PRIORITY = 100;

    /** How often the grace period of missing trust domains is checked: the period is minutes to hours. */
    static final Duration GRACE_CHECK_INTERVAL = Duration.ofSeconds(1);

    private static final Logger LOG = Logger.getLogger(SourceLifecycle.class);

    @Inject
    ProviderSettings settings;

    @Inject
    TrustDomainPublishers publishers;

    private final List<BundleSource> sources = new ArrayList<>();
    private ScheduledThreadPoolExecutor graceCheck;

    void start(@Observes @Priority(START_PRIORITY) StartupEvent event) {
        BundleSource source = create(settings.source());
        List<TrustDomainSink> shared = new ArrayList<>();
        shared.add(sink(settings.issuers().get(0), publishers.primary()));
        for (Issuer issuer : settings.federated()) {
            TrustDomainSink federated = sink(issuer, publishers.federated().get(issuer.trustDomain()));
            if (issuer.file().isPresent()) {
                // Only the file source gives a federated trust domain a file of its own, read by a source of its own.
                FileBundleSource file = new FileBundleSource(issuer.file().get(), settings.source().pollInterval());
                sources.add(file);
                LOG.infof("Reading keys of %s from %s", issuer.trustDomain(), file.describe());
                file.start(new TrustDomainSinks(List.of(federated)));
            } else {
                shared.add(federated);
            }
        }
        source.start(new TrustDomainSinks(shared));
        LOG.infof("Reading keys from %s", source.describe());
        settings.issuers().forEach(SourceLifecycle::logBundleEndpoint);
        sources.add(0, source);
        graceCheck = SourceThreads.worker("trust-domain-grace");
        graceCheck.scheduleWithFixedDelay(publishers::withdrawAbsentPastGrace, GRACE_CHECK_INTERVAL.toMillis(),
                GRACE_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (graceCheck != null) {
            graceCheck.shutdownNow();
        }
        sources.forEach(BundleSource::close);
    }

    private static TrustDomainSink sink(Issuer issuer, BundleSink publisher) {
        return new TrustDomainSink(issuer.trustDomain(), publisher, issuer.bundleEndpointPath().isPresent());
    }

    private static void logBundleEndpoint(Issuer issuer) {
        String name = issuer.trustDomain().isEmpty() ? "the trust domain" : "trust domain " + issuer.trustDomain();
        issuer.bundleEndpointPath().ifPresentOrElse(
                path -> LOG.infof("SPIFFE bundle endpoint of %s: on at %s%s", name, path,
                        issuer.hosts().isEmpty() ? "" : " on " + String.join(", ", new TreeSet<>(issuer.hosts()))),
                () -> LOG.infof("SPIFFE bundle endpoint of %s: off (%sbundle-endpoint.path is not set)", name,
                        issuer.property()));
    }

    static BundleSource create(SourceSettings settings) {
        if (settings instanceof SourceSettings.File file) {
            return new FileBundleSource(file.path(), file.pollInterval());
        }
        if (settings instanceof SourceSettings.WorkloadApi agent) {
            return new WorkloadApiSource(agent.socket(), WorkloadApiSource.Timings.DEFAULT);
        }
        SourceSettings.ServerApi server = (SourceSettings.ServerApi) settings;
        return new ServerApiSource(server.socket(), server.pollInterval());
    }
}
