package io.spiffeoidc.bundle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One publisher per published trust domain, the primary first. Each validates and publishes its own
 * trust domain's candidates, so one trust domain's refusal, outage or absence never touches another's keys.
 * Only the sources are given the publishers; HTTP and ops get their {@link #views()}.
 */
public final class TrustDomainPublishers {

    private final BundlePublisher primary;
    private final Map<String, BundlePublisher> federated;
    private final TrustDomainViews views;

    /** @param federated by trust domain name, in the order health data and logs list them */
    public TrustDomainPublishers(BundlePublisher primary, Map<String, BundlePublisher> federated) {
        this.primary = primary;
        this.federated = Collections.unmodifiableMap(new LinkedHashMap<>(federated));
        Map<String, PublishedView> federatedViews = new LinkedHashMap<>();
        this.federated.forEach((name, publisher) -> federatedViews.put(name, publisher.view()));
        this.views = new TrustDomainViews(primary.view(), federatedViews);
    }

    public BundlePublisher primary() {
        return primary;
    }

    public Map<String, BundlePublisher> federated() {
        return federated;
    }

    public TrustDomainViews views() {
        return views;
    }

    /** Withdraws the keys of every trust domain that has been missing from its source for longer than its grace period. */
    public void withdrawAbsentPastGrace() {
        primary.withdrawIfAbsentPastGrace();
        federated.values().forEach(BundlePublisher::withdrawIfAbsentPastGrace);
    }
}
