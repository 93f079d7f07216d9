package io.spiffeoidc.ops;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.health.api.HealthRegistry;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.bundle.PublisherStatus;
import io.spiffeoidc.bundle.TrustDomainViews;
import io.spiffeoidc.bundle.Withdrawal;
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
    TrustDomainViews views;

    @Inject
    ProviderSettings settings;

    @Inject
    @Readiness
    HealthRegistry readiness;

    void registerFederated(@Observes StartupEvent event) {
        for (Map.Entry<String, PublishedView> entry : views.federated().entrySet()) {
            String name = "trust-bundle " + entry.getKey();
            readiness.register(name, () -> describe(name, entry.getKey(), entry.getValue()).up().build());
        }
    }

    @Override
    public HealthCheckResponse call() {
        PublishedView view = views.primary();
        PublisherStatus status = view.status();
        Optional<Duration> syncAge = status.syncAge();
        boolean fresh = syncAge.isPresent() && syncAge.get().compareTo(settings.stalenessThreshold()) < 0;
        String trustDomain = settings.primary().trustDomain();
        return describe("trust-bundle", trustDomain.isEmpty() ? "(any)" : trustDomain, view.source(), status)
                .status(status.served().isPresent() && fresh)
                .build();
    }

    private HealthCheckResponseBuilder describe(String name, String trustDomain, PublishedView view) {
        return describe(name, trustDomain, view.source(), view.status());
    }

    /** Everything from one status record, so that the data of one answer never mixes two moments. */
    private HealthCheckResponseBuilder describe(String name, String trustDomain, String source, PublisherStatus status) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name)
                .withData("trustDomain", trustDomain)
                .withData("source", source)
                .withData("sourceState", status.source().state().label())
                .withData("stalenessThresholdSeconds", settings.stalenessThreshold().toSeconds());
        status.syncAge().ifPresent(age -> response.withData("secondsSinceSync", age.toSeconds()));
        Optional<PublishedBundle> served = status.served();
        if (served.isPresent()) {
            PublishedBundle bundle = served.get();
            response.withData("keyIds", String.join(",", bundle.keyIds()))
                    .withData("bundleAgeSeconds", status.bundleAge().orElseThrow().toSeconds())
                    .withData("cacheMaxAgeSeconds", bundle.maxAgeSeconds());
            bundle.sequence().ifPresent(sequence -> response.withData("sequence", sequence));
        } else {
            response.withData("keyIds", "");
        }
        status.source().lastError().ifPresent(error -> response.withData("lastSourceError", error));
        status.refusals().last().ifPresent(refusal -> response.withData("lastRefusal", refusal.toString()));
        response.withData("latestCandidateRefused", status.refusals().latestRefused());
        status.withdrawal().map(Withdrawal::reason).ifPresent(reason -> response.withData("notServing", reason));
        status.missingFor().ifPresent(missing -> response
                .withData("missingFromSourceSeconds", missing.toSeconds())
                .withData("withdrawn", status.presence().withdrawn()));
        return response;
    }
}
