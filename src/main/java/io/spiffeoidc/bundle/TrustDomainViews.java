package io.spiffeoidc.bundle;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The read-only view of every published trust domain, the primary first: what HTTP and ops are given. */
public final class TrustDomainViews {

    private final PublishedView primary;
    private final Map<String, PublishedView> federated;

    /** @param federated by trust domain name, in the order health data and logs list them */
    TrustDomainViews(PublishedView primary, Map<String, PublishedView> federated) {
        this.primary = primary;
        this.federated = Collections.unmodifiableMap(new LinkedHashMap<>(federated));
    }

    public PublishedView primary() {
        return primary;
    }

    public Map<String, PublishedView> federated() {
        return federated;
    }

    public boolean isFederating() {
        return !federated.isEmpty();
    }
}
