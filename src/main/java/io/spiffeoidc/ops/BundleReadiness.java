package io.spiffeoidc.ops;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.HealthRegistry;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import io.spiffeoidc.config.ProviderSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while keys are being served and the source confirmed them recently. A replica whose source has
 * been silent too long leaves the load balancer, so relying parties reach one whose keys are current.
 *
 * <p>Each federated trust domain gets its own entry ("trust-bundle partner.example") with the same data,
 * but that entry never takes the replica out: every replica reads the same agent map, so they would all
 * leave together and take the healthy issuers with them. A federated trust domain's trouble shows in its
 * entry's data and in its metrics, and its own endpoints answer 503 once its keys are withdrawn.
 */
@Readiness
@ApplicationScoped
public class BundleReadiness implements HealthCheck {

    @Inject
    TrustDomainPublishers publishers;

    @Inject
    ProviderSettings settings;

    @Inject
    @Readiness
    HealthRegistry readiness;

    void registerFederated(@Observes StartupEvent event) {
        for (Map.Entry<String, BundlePublisher> entry : publishers.federated().entrySet()) {
            String name = "trust-bundle " + entry.getKey();
            readiness.register(name, () -> describe(name, entry.getKey(), entry.getValue()).up().build());
        }
    }

    @Override
    public HealthCheckResponse call() {
        BundlePublisher publisher = publishers.primary();
        Optional<Duration> syncAge = publisher.syncAge();
        boolean fresh = syncAge.isPresent() && syncAge.get().compareTo(settings.stalenessThreshold()) < 0;
        String trustDomain = settings.primary().trustDomain();
        return describe("trust-bundle", trustDomain.isEmpty() ? "(any)" : trustDomain, publisher)
                .status(publisher.served() != null && fresh)
                .build();
    }

    private HealthCheckResponseBuilder describe(String name, String trustDomain, BundlePublisher publisher) {
        PublishedBundle bundle = publisher.served();
        Optional<Duration> syncAge = publisher.syncAge();
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name)
                .withData("trustDomain", trustDomain)
                .withData("source", publisher.sourceLabel())
                .withData("sourceState", publisher.sourceState().label())
                .withData("stalenessThresholdSeconds", settings.stalenessThreshold().toSeconds());
        syncAge.ifPresent(age -> response.withData("secondsSinceSync", age.toSeconds()));
        if (bundle != null) {
            response.withData("keyIds", String.join(",", bundle.keyIds()))
                    .withData("bundleAgeSeconds",
                            Duration.between(bundle.appliedAt(), publisher.clock().instant()).toSeconds())
                    .withData("cacheMaxAgeSeconds", bundle.maxAgeSeconds());
            bundle.sequence().ifPresent(sequence -> response.withData("sequence", sequence));
        } else {
            response.withData("keyIds", "");
        }
        publisher.lastSourceError().ifPresent(error -> response.withData("lastSourceError", error));
        publisher.lastRefusal().ifPresent(refusal -> response.withData("lastRefusal", refusal.toString()));
        response.withData("latestCandidateRefused", publisher.latestRefused());
        publisher.withdrawal().ifPresent(reason -> response.withData("notServing", reason));
        publisher.absentSince().ifPresent(since -> response
                .withData("missingFromSourceSeconds", Duration.between(since, publisher.clock().instant()).toSeconds())
                .withData("withdrawn", publisher.withdrawn()));
        return response;
    }
}
