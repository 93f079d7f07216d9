package io.spiffeoidc.config;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.ProviderConfig.KeyUseSetting;
import io.spiffeoidc.bundle.TrustDomainPublishers;
import io.spiffeoidc.http.HostPolicy;
import io.spiffeoidc.http.IssuerResolver;
import io.spiffeoidc.http.IssuerRoute;
import io.spiffeoidc.http.IssuerRoutes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds the shared components from the configuration, so the components themselves stay plain classes. */
public class ProviderBeans {

    private static final Duration MIN_STALENESS = Duration.ofMinutes(3);

    @Produces
    @Singleton
    TrustDomainPublishers publishers(ProviderConfig config) {
        boolean markSignatureUse = config.keyUse() == KeyUseSetting.SIG;
        String source = config.source().label();
        List<IssuerSettings> issuers = IssuerSettings.all(config);
        // A single-trust-domain service keeps its log lines as they were; with federation each names its trust domain.
        boolean federating = issuers.size() > 1;
        BundlePublisher primary = new BundlePublisher(source, federating ? issuers.get(0).trustDomain() : "",
                markSignatureUse, Clock.systemUTC());
        Map<String, BundlePublisher> federated = new LinkedHashMap<>();
        for (IssuerSettings issuer : issuers.subList(1, issuers.size())) {
            federated.put(issuer.trustDomain(), new BundlePublisher(source, issuer.trustDomain(), markSignatureUse,
                    Clock.systemUTC()));
        }
        return new TrustDomainPublishers(primary, federated);
    }

    @Produces
    @Singleton
    BundlePublisher publisher(TrustDomainPublishers publishers) {
        return publishers.primary();
    }

    /** Every host name of every issuer: a request naming any other host is refused before routing. */
    @Produces
    @Singleton
    HostPolicy hostPolicy(ProviderConfig config) {
        Set<String> hosts = new HashSet<>();
        IssuerSettings.all(config).forEach(issuer -> hosts.addAll(issuer.hosts()));
        return new HostPolicy(hosts);
    }

    @Produces
    @Singleton
    IssuerResolver issuerResolver(ProviderConfig config) {
        IssuerSettings primary = IssuerSettings.all(config).get(0);
        return new IssuerResolver(primary.issuer(), primary.jwksUri(), primary.pathPrefix().orElse(""));
    }

    @Produces
    @Singleton
    IssuerRoutes issuerRoutes(ProviderConfig config, TrustDomainPublishers publishers) {
        List<IssuerRoute> routes = new ArrayList<>();
        for (IssuerSettings issuer : IssuerSettings.all(config)) {
            BundlePublisher publisher = issuer.primary() ? publishers.primary() : publishers.federated().get(issuer.trustDomain());
            routes.add(IssuerRoute.of(issuer.trustDomain(), publisher, new HostPolicy(issuer.hosts()),
                    new IssuerResolver(issuer.issuer(), issuer.jwksUri(), issuer.pathPrefix().orElse("")),
                    issuer.pathPrefix().orElse("")));
        }
        return new IssuerRoutes(routes);
    }

    @Produces
    @Singleton
    StalenessThreshold stalenessThreshold(ProviderConfig config) {
        return new StalenessThreshold(config.stalenessThreshold().orElseGet(() -> defaultThreshold(config)));
    }

    /** Five missed polls, but never less than three minutes: a short blip must not empty the load balancer. */
    static Duration defaultThreshold(ProviderConfig config) {
        Duration poll = switch (config.source()) {
            case FILE -> config.file().pollInterval();
            case SERVER_API -> config.serverApi().pollInterval();
            case WORKLOAD_API -> Duration.ZERO;
        };
        Duration fivePolls = poll.multipliedBy(5);
        return fivePolls.compareTo(MIN_STALENESS) > 0 ? fivePolls : MIN_STALENESS;
    }
}
