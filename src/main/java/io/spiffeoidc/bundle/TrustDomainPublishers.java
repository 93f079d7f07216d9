package io.spiffeoidc.bundle;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One publisher per published trust domain, the primary first. Each validates and publishes its own
 * trust domain's candidates, so one trust domain's refusal, outage or absence never touches another's keys.
 */
public final class TrustDomainPublishers {

    private final BundlePublisher primary;
    private final Map<String, BundlePublisher> federated;

    /** @param federated by trust domain name, in the order health data and logs list them */
    public TrustDomainPublishers(BundlePublisher primary, Map<String, BundlePublisher> federated) {
        this.primary = primary;
        this.federated = Collections.unmodifiableMap(new LinkedHashMap<>(federated));
    }

    public BundlePublisher primary() {
        return primary;
    }

    public Map<String, BundlePublisher> federated() {
        return federated;
    }

    public boolean isFederating() {
        return !federated.isEmpty();
    }

    /** Ends the grace period of every trust domain that has been missing from its source for {@code grace}. */
    public void withdrawAbsent(Duration grace) {
        primary.withdrawIfAbsentFor(grace);
        federated.values().forEach(publisher -> publisher.withdrawIfAbsentFor(grace));
    }
}
