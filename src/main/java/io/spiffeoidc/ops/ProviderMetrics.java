package io.spiffeoidc.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.TrustDomainViews;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;

/**
 * Exposes the publishers' own counters and state, read from each trust domain's status record: nothing is
 * counted twice, so metrics, health data and logs can never disagree. Every refusal reason is registered up
 * front so alerts can match on zero. With federated trust domains every meter carries a trust_domain tag, one
 * series per published trust domain; a single-trust-domain service keeps its series untagged, as they always
 * were.
 */
@ApplicationScoped
public class ProviderMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    TrustDomainViews views;

    void register(@Observes StartupEvent event) {
        if (!views.isFederating()) {
            register(views.primary(), Tags.empty());
            return;
        }
        register(views.primary(), Tags.of("trust_domain", views.primary().trustDomain()));
        for (Map.Entry<String, PublishedView> entry : views.federated().entrySet()) {
            register(entry.getValue(), Tags.of("trust_domain", entry.getKey()));
        }
    }

    private void register(PublishedView view, Tags trustDomain) {
        FunctionCounter.builder("spiffe.oidc.bundle.updates.applied", view, v -> v.status().applied())
                .description("Candidate bundles that changed the served key set")
                .tags(trustDomain)
                .register(registry);
        for (RefusalReason reason : RefusalReason.values()) {
            FunctionCounter.builder("spiffe.oidc.bundle.updates.refused", view, v -> v.status().refusals().count(reason))
                    .description("Distinct candidate bundles refused, by reason; the last good key set stays served")
                    .tag("reason", reason.label())
                    .tags(trustDomain)
                    .register(registry);
        }
        Gauge.builder("spiffe.oidc.bundle.latest.refused", view, v -> v.status().refusals().latestRefused() ? 1 : 0)
                .description("1 while the latest candidate from the source was refused; 0 once a good one is applied")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.served", view, v -> v.status().served().map(PublishedBundle::keyCount).orElse(0))
                .description("JWT signing keys in the served key set")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.over.threshold", view, v -> v.status().overKeyThreshold() ? 1 : 0)
                .description("1 while more keys are served than spiffe-oidc.keys-warn-threshold (AWS STS reads 100)")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.cache.max.age", view,
                v -> v.status().served().map(bundle -> (double) bundle.maxAgeSeconds()).orElse(Double.NaN))
                .description("max-age sent with the served documents")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.source.sync.age", view,
                v -> v.status().syncAge().map(ProviderMetrics::seconds).orElse(Double.NaN))
                .description("Seconds since the source last confirmed the served keys (0 while a stream is up)")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.bundle.age", view,
                v -> v.status().bundleAge().map(ProviderMetrics::seconds).orElse(Double.NaN))
                .description("Seconds since the served key set last changed")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.source.up", view, v -> v.status().source().up() ? 1 : 0)
                .description("1 while the key source is reachable")
                .tag("source", view.source())
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.trust.domain.missing", view,
                v -> v.status().missingFor().map(ProviderMetrics::seconds).orElse(0.0))
                .description("Seconds the source has been delivering no bundle for the trust domain (0 while it does);"
                        + " its keys are withdrawn once this passes spiffe-oidc.missing-trust-domain-grace-period")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
    }

    private static double seconds(Duration age) {
        return age.toMillis() / 1000.0;
    }
}
