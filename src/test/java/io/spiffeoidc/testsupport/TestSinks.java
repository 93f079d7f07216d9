package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.TrustDomainSinks;
import java.util.List;

/** The trust domains a source under test serves, as the lifecycle hands them over. */
public final class TestSinks {

    private TestSinks() {
    }

    /** One trust domain, without X.509 authorities. */
    public static TrustDomainSinks of(String trustDomain, BundleSink sink) {
        return of(new TrustDomainSink(trustDomain, sink, false));
    }

    /** One trust domain whose SPIFFE bundle endpoint is on. */
    public static TrustDomainSinks withX509(String trustDomain, BundleSink sink) {
        return of(new TrustDomainSink(trustDomain, sink, true));
    }

    /** The primary first. */
    public static TrustDomainSinks of(TrustDomainSink... trustDomains) {
        return new TrustDomainSinks(List.of(trustDomains));
    }
}
