package io.spiffeoidc.config;

import io.spiffeoidc.bundle.PublicationRules;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The service's configuration after validation: every value parsed once, every rule between values
 * checked. Components receive this rather than {@link ProviderConfig}, so none of them can see a value
 * that has not passed {@link ConfigProblems}, whichever configuration source supplied it.
 *
 * @param issuers            every published trust domain as an issuer, the primary first, federated ones by name
 * @param publicationRules   cache lifetime and key-count threshold of every published trust domain
 * @param stalenessThreshold readiness turns DOWN when the source is silent this long
 * @param requestHeadTimeout how long a connection may take to deliver a complete request head
 * @param publicPorts        the ports a Host header may carry into derived URLs: the public listeners' configured
 *                           ports and those of configured issuer and jwks_uri URLs
 * @param missingTrustDomainGracePeriod how long a trust domain missing from the source stays served
 * @param targets            the static issuers' stores, in name order
 */
public record ProviderSettings(
        SourceSettings source,
        List<Issuer> issuers,
        boolean markSignatureUse,
        PublicationRules publicationRules,
        boolean trustForwardedHeaders,
        boolean allowInsecureScheme,
        Duration requestHeadTimeout,
        Set<Integer> publicPorts,
        Duration stalenessThreshold,
        Duration missingTrustDomainGracePeriod,
        TlsSettings tls,
        List<Target> targets) {

    public ProviderSettings {
        issuers = List.copyOf(issuers);
        targets = List.copyOf(targets);
        publicPorts = Set.copyOf(publicPorts);
    }

    /** The trust domain of the top-level properties. */
    public Issuer primary() {
        return issuers.get(0);
    }

    /** The federated trust domains, without the primary. */
    public List<Issuer> federated() {
        return issuers.subList(1, issuers.size());
    }
}
