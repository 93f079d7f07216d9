package io.spiffeoidc;

import io.quarkus.runtime.LaunchMode;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.bundle.PublisherSpec;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import io.spiffeoidc.bundle.TrustDomainViews;
import io.spiffeoidc.config.ConfigProblems;
import io.spiffeoidc.config.HostSet;
import io.spiffeoidc.config.Issuer;
import io.spiffeoidc.config.ProviderConfig;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.QuarkusSettings;
import io.spiffeoidc.http.HostPolicy;
import io.spiffeoidc.http.IssuerResolver;
import io.spiffeoidc.http.IssuerRoute;
import io.spiffeoidc.http.IssuerRoutes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/** Builds the shared components from the validated settings, so the components themselves stay plain classes. */
public class ProviderBeans {

    private static final Logger LOG = Logger.getLogger(ProviderBeans.class);

    /**
     * The settings {@link StartupValidation} has already checked while the configuration was built; built
     * from the same mapping by the same rules, so a launch that skipped that check still cannot go on.
     */
    @Produces
    @Singleton
    ProviderSettings settings(ProviderConfig config, QuarkusSettings quarkus) {
        ConfigProblems.Validation validation = ConfigProblems.validate(config, quarkus);
        ProviderSettings settings = validation.settings().orElseThrow(() -> StartupValidation.refusal(validation.problems()));
        if (settings.primary().issuer().isEmpty() && LaunchMode.current() == LaunchMode.NORMAL) {
            LOG.warn("spiffe-oidc.issuer is not set: the issuer is derived from each request's host. Verifiers compare"
                    + " it byte for byte with the tokens' iss claim; set it explicitly in production");
        }
        return settings;
    }

    @Produces
    @Singleton
    TrustDomainPublishers publishers(ProviderSettings settings) {
        // A single-trust-domain service keeps its log lines as they were; with federation each names its trust domain.
        String primaryName = settings.federated().isEmpty() ? "" : settings.primary().trustDomain();
        BundlePublisher primary = new BundlePublisher(spec(settings, settings.primary(), primaryName));
        Map<String, BundlePublisher> federated = new LinkedHashMap<>();
        for (Issuer issuer : settings.federated()) {
            federated.put(issuer.trustDomain(), new BundlePublisher(spec(settings, issuer, issuer.trustDomain())));
        }
        return new TrustDomainPublishers(primary, federated);
    }

    private static PublisherSpec spec(ProviderSettings settings, Issuer issuer, String logName) {
        return new PublisherSpec(settings.source().label(), logName, settings.markSignatureUse(),
                issuer.bundleEndpointPath().isPresent(), settings.publicationRules(), settings.missingTrustDomainGracePeriod(),
                Clock.systemUTC());
    }

    /** What HTTP and ops read: the served snapshots and their status, never a publisher. */
    @Produces
    @Singleton
    TrustDomainViews views(TrustDomainPublishers publishers) {
        return publishers.views();
    }

    /**
     * Every host name of every issuer: a request naming any other host is refused before routing. Its port
     * is kept where the configuration lists it.
     */
    @Produces
    @Singleton
    HostPolicy hostPolicy(ProviderSettings settings) {
        Set<String> hosts = new HashSet<>();
        settings.issuers().forEach(issuer -> hosts.addAll(issuer.hosts()));
        return new HostPolicy(new HostSet(hosts), settings.publicPorts());
    }

    /** The primary issuer first, then each federated one with its own hosts, prefix and published view. */
    @Produces
    @Singleton
    IssuerRoutes issuerRoutes(ProviderSettings settings, TrustDomainViews views) {
        List<IssuerRoute> routes = new ArrayList<>();
        for (Issuer issuer : settings.issuers()) {
            PublishedView view = issuer.primary() ? views.primary() : views.federated().get(issuer.trustDomain());
            routes.add(IssuerRoute.of(issuer.trustDomain(), view, issuer.hosts(),
                    new IssuerResolver(issuer.issuer(), issuer.jwksUri(), issuer.pathPrefix()), issuer.pathPrefix(),
                    issuer.bundleEndpointPath()));
        }
        return new IssuerRoutes(routes);
    }
}
