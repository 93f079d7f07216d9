package io.spiffeoidc.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;

/**
 * Exposes the publishers' own counters and state: nothing is counted twice, so metrics, health data and
 * logs can never disagree. Every refusal reason is registered up front so alerts can match on zero. With
 * federated trust domains every meter carries a trust_domain tag, one series per published trust domain;
 * a single-trust-domain service keeps its series untagged, as they always were.
 */
@ApplicationScoped
public class ProviderMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    TrustDomainPublishers publishers;

    void register(@Observes StartupEvent event) {
        if (!publishers.isFederating()) {
            register(publishers.primary(), Tags.empty());
            return;
        }
        register(publishers.primary(), Tags.of("trust_domain", publishers.primary().trustDomain()));
        for (Map.Entry<String, BundlePublisher> entry : publishers.federated().entrySet()) {
            register(entry.getValue(), Tags.of("trust_domain", entry.getKey()));
        }
    }

    private void register(BundlePublisher publisher, Tags trustDomain) {
        FunctionCounter.builder("spiffe.oidc.bundle.updates.applied", publisher, BundlePublisher::appliedCount)
                .description("Candidate bundles that changed the served key set")
                .tags(trustDomain)
                .register(registry);
        for (RefusalReason reason : RefusalReason.values()) {
            FunctionCounter.builder("spiffe.oidc.bundle.updates.refused", publisher, p -> p.refusedCount(reason))
                    .description("Distinct candidate bundles refused, by reason; the last good key set stays served")
                    .tag("reason", reason.label())
                    .tags(trustDomain)
                    .register(registry);
        }
        Gauge.builder("spiffe.oidc.bundle.latest.refused", publisher, p -> p.latestRefused() ? 1 : 0)
                .description("1 while the latest candidate from the source was refused; 0 once a good one is applied")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.served", publisher, p -> {
                    PublishedBundle bundle = p.served();
                    return bundle == null ? 0 : bundle.keyCount();
                })
                .description("JWT signing keys in the served key set")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.over.threshold", publisher, p -> p.overKeyThreshold() ? 1 : 0)
                .description("1 while more keys are served than spiffe-oidc.keys-warn-threshold (AWS STS reads 100)")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.cache.max.age", publisher, p -> {
                    PublishedBundle bundle = p.current();
                    return bundle == null ? Double.NaN : bundle.maxAgeSeconds();
                })
                .description("max-age sent with the served documents")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.source.sync.age", publisher,
                        p -> p.syncAge().map(age -> age.toMillis() / 1000.0).orElse(Double.NaN))
                .description("Seconds since the source last confirmed the served keys (0 while a stream is up)")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.bundle.age", publisher, p -> {
                    PublishedBundle bundle = p.current();
                    return bundle == null ? Double.NaN
                            : Duration.between(bundle.appliedAt(), p.clock().instant()).toMillis() / 1000.0;
                })
                .description("Seconds since the served key set last changed")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.source.up", publisher, p -> p.sourceState() == SourceState.UP ? 1 : 0)
                .description("1 while the key source is reachable")
                .tag("source", publisher.sourceLabel())
                .tags(trustDomain)
                .register(registry);
        Gauge.builder("spiffe.oidc.trust.domain.missing", publisher,
                        p -> p.absentSince().map(since -> Duration.between(since, p.clock().instant()).toMillis() / 1000.0)
                                .orElse(0.0))
                .description("Seconds the source has been delivering no bundle for the trust domain (0 while it does);"
                        + " its keys are withdrawn once this passes spiffe-oidc.missing-trust-domain-grace-period")
                .baseUnit("seconds")
                .tags(trustDomain)
                .register(registry);
    }
}
