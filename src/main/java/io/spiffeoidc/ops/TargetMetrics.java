package io.spiffeoidc.ops;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.spiffeoidc.storage.StoreException;
import io.spiffeoidc.storage.TargetLifecycle;
import io.spiffeoidc.storage.TargetPublisher;
import io.spiffeoidc.storage.TargetStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * One series per static issuer target (tag target), read from each publisher's status record. Every
 * failure reason is registered up front so alerts can match on zero.
 */
@ApplicationScoped
public class TargetMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    TargetLifecycle targets;

    void register(@Observes StartupEvent event) {
        for (TargetPublisher publisher : targets.publishers()) {
            register(publisher, Tags.of("target", publisher.target().name(), "trust_domain",
                    publisher.target().issuer().trustDomain()));
        }
    }

    private void register(TargetPublisher publisher, Tags tags) {
        Gauge.builder("spiffe.oidc.target.last.publication", publisher,
                p -> p.status().lastPublished().map(at -> at.toEpochMilli() / 1000.0).orElse(0.0))
                .description("When this instance last wrote documents to the target (Unix time; 0 before the first)")
                .baseUnit("seconds")
                .tags(tags)
                .register(registry);
        FunctionCounter.builder("spiffe.oidc.target.publications", publisher, p -> p.status().publications())
                .description("Document sets this instance wrote to the target")
                .tags(tags)
                .register(registry);
        for (StoreException.Reason reason : StoreException.Reason.values()) {
            FunctionCounter.builder("spiffe.oidc.target.failures", publisher, p -> p.status().failures(reason))
                    .description("Failed store operations, every attempt counted, by reason")
                    .tags(tags)
                    .tag("reason", reason.tag())
                    .register(registry);
        }
        FunctionCounter.builder("spiffe.oidc.target.conflicts.lost", publisher, p -> p.status().conflictsLost())
                .description("Writes refused because another writer changed the object first")
                .tags(tags)
                .register(registry);
        Gauge.builder("spiffe.oidc.target.lease.held", publisher, p -> p.status().leaseHeld() ? 1 : 0)
                .description("1 while this instance holds the target's publisher lease (one instance per target should)")
                .tags(tags)
                .register(registry);
        Gauge.builder("spiffe.oidc.target.behind", publisher, p -> p.status().behindSeconds())
                .description("Seconds the target has not held the validated snapshot this instance serves (0 when current"
                        + " or standing by)")
                .baseUnit("seconds")
                .tags(tags)
                .register(registry);
        Gauge.builder("spiffe.oidc.target.catching.up", publisher,
                p -> p.status().phase() == TargetStatus.Phase.CATCHING_UP ? 1 : 0)
                .description("1 while the target holds a key set this instance has not validated yet")
                .tags(tags)
                .register(registry);
    }
}
