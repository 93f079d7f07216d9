package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublicationRules;
import io.spiffeoidc.bundle.PublisherSpec;
import java.time.Clock;
import java.time.Duration;

/** Publishers as the service builds them, with the settings tests do not care about at their defaults. */
public final class TestPublishers {

    /** The configuration's default grace period for a trust domain missing from its source. */
    public static final Duration GRACE = Duration.ofHours(1);

    private TestPublishers() {
    }

    /** The one trust domain of a service without federation, without a SPIFFE bundle endpoint. */
    public static BundlePublisher publisher(String source, Clock clock) {
        return new BundlePublisher(spec(source, "", false, PublicationRules.DEFAULT, clock));
    }

    /** A named trust domain, as with federation, on the system clock. */
    public static BundlePublisher publisher(String source, String trustDomain, boolean spiffeBundle) {
        return new BundlePublisher(spec(source, trustDomain, spiffeBundle, PublicationRules.DEFAULT, Clock.systemUTC()));
    }

    public static PublisherSpec spec(String source, String trustDomain, boolean spiffeBundle, PublicationRules rules,
            Clock clock) {
        return new PublisherSpec(source, trustDomain, true, spiffeBundle, rules, GRACE, clock);
    }
}
