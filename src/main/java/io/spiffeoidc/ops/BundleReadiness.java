package io.spiffeoidc.ops;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.TrustDomain;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready while keys are being served and the source confirmed them recently. A replica whose source has
 * been silent too long leaves the load balancer, so relying parties reach one whose keys are current.
 */
@Readiness
@ApplicationScoped
public class BundleReadiness implements HealthCheck {

    @Inject
    BundlePublisher publisher;

    @Inject
    ProviderSettings settings;

    @Override
    public HealthCheckResponse call() {
        PublishedBundle bundle = publisher.current();
        Optional<Duration> syncAge = publisher.syncAge();
        Duration staleness = settings.stalenessThreshold();
        boolean fresh = syncAge.isPresent() && syncAge.get().compareTo(staleness) < 0;
        HealthCheckResponseBuilder response = HealthCheckResponse.named("trust-bundle")
                .status(bundle != null && fresh)
                .withData("trustDomain", settings.trustDomain().map(TrustDomain::name).orElse("(any)"))
                .withData("source", publisher.sourceLabel())
                .withData("sourceState", publisher.sourceState().label())
                .withData("stalenessThresholdSeconds", staleness.toSeconds());
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
        return response.build();
    }
}
