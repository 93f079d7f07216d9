package io.spiffeoidc.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * Exposes the publisher's own counters and state: nothing is counted twice, so metrics, health data and
 * logs can never disagree. Every refusal reason is registered up front so alerts can match on zero.
 */
@ApplicationScoped
public class ProviderMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    BundlePublisher publisher;

    void register(@Observes StartupEvent event) {
        FunctionCounter.builder("spiffe.oidc.bundle.updates.applied", publisher, BundlePublisher::appliedCount)
                .description("Candidate bundles that changed the served key set")
                .register(registry);
        for (RefusalReason reason : RefusalReason.values()) {
            FunctionCounter.builder("spiffe.oidc.bundle.updates.refused", publisher, p -> p.refusedCount(reason))
                    .description("Distinct candidate bundles refused, by reason; the last good key set stays served")
                    .tag("reason", reason.label())
                    .register(registry);
        }
        Gauge.builder("spiffe.oidc.bundle.latest.refused", publisher, p -> p.latestRefused() ? 1 : 0)
                .description("1 while the latest candidate from the source was refused; 0 once a good one is applied")
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.served", publisher, p -> {
                    PublishedBundle bundle = p.current();
                    return bundle == null ? 0 : bundle.keyCount();
                })
                .description("JWT signing keys in the served key set")
                .register(registry);
        Gauge.builder("spiffe.oidc.keys.over.threshold", publisher, p -> p.overKeyThreshold() ? 1 : 0)
                .description("1 while more keys are served than spiffe-oidc.keys-warn-threshold (AWS STS reads 100)")
                .register(registry);
        Gauge.builder("spiffe.oidc.cache.max.age", publisher, p -> {
                    PublishedBundle bundle = p.current();
                    return bundle == null ? Double.NaN : bundle.maxAgeSeconds();
                })
                .description("max-age sent with the served documents")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("spiffe.oidc.source.sync.age", publisher,
                        p -> p.syncAge().map(age -> age.toMillis() / 1000.0).orElse(Double.NaN))
                .description("Seconds since the source last confirmed the served keys (0 while a stream is up)")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("spiffe.oidc.bundle.age", publisher, p -> {
                    PublishedBundle bundle = p.current();
                    return bundle == null ? Double.NaN
                            : Duration.between(bundle.appliedAt(), p.clock().instant()).toMillis() / 1000.0;
                })
                .description("Seconds since the served key set last changed")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("spiffe.oidc.source.up", publisher, p -> p.sourceState() == SourceState.UP ? 1 : 0)
                .description("1 while the key source is reachable")
                .tag("source", publisher.sourceLabel())
                .register(registry);
    }
}
