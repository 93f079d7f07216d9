package io.spiffeoidc.config;

import io.spiffeoidc.bundle.PublicationRules;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The service's configuration after validation: every value parsed once, every rule between values
 * checked. Components receive this rather than {@link ProviderConfig}, so none of them can see a value
 * that has not passed {@link ConfigProblems}, whichever configuration source supplied it.
 *
 * @param trustDomain absent only for the file source, which publishes whatever its file holds
 * @param issuer used verbatim when present; otherwise derived from each request
 * @param jwksUri used verbatim when present; otherwise derived from each request
 * @param hosts the Host values answered: spiffe-oidc.domains, else the configured issuer's host
 * @param cacheMaxAge max-age when the bundle has no refresh hint; publicationRules has the full cache lifetime
 * @param stalenessThreshold readiness turns DOWN when the source is silent this long
 * @param requestHeadTimeout how long a connection may take to deliver a complete request head
 * @param issuers every published trust domain as an issuer, the primary (the values above) first
 * @param missingTrustDomainGracePeriod how long a trust domain missing from the source stays served
 */
public record ProviderSettings(
        SourceSettings source,
        Optional<TrustDomain> trustDomain,
        Optional<ConfiguredUrl> issuer,
        Optional<ConfiguredUrl> jwksUri,
        HostSet hosts,
        PathPrefix pathPrefix,
        boolean markSignatureUse,
        Duration cacheMaxAge,
        PublicationRules publicationRules,
        boolean trustForwardedHeaders,
        boolean allowInsecureScheme,
        Duration requestHeadTimeout,
        Duration stalenessThreshold,
        Duration tlsReloadPeriod,
        boolean nativeTlsEngine,
        List<IssuerSettings> issuers,
        Duration missingTrustDomainGracePeriod) {

    public ProviderSettings {
        issuers = List.copyOf(issuers);
    }

    /** The federated trust domains, without the primary. */
    public List<IssuerSettings> federated() {
        return issuers.subList(1, issuers.size());
    }
}
