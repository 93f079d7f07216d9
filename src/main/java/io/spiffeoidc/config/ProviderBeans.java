package io.spiffeoidc.config;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublicationRules;
import io.spiffeoidc.config.ProviderConfig.KeyUseSetting;
import io.spiffeoidc.http.HostPolicy;
import io.spiffeoidc.http.IssuerResolver;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Builds the shared components from the configuration, so the components themselves stay plain classes. */
public class ProviderBeans {

    private static final Duration MIN_STALENESS = Duration.ofMinutes(3);

    @Produces
    @Singleton
    BundlePublisher publisher(ProviderConfig config) {
        return new BundlePublisher(config.source().label(), config.keyUse() == KeyUseSetting.SIG, Clock.systemUTC(),
                new PublicationRules(ConfigProblems.cacheLifetime(config), config.keysWarnThreshold()));
    }

    @Produces
    @Singleton
    HostPolicy hostPolicy(ProviderConfig config) {
        List<String> domains = config.domains().orElse(List.of());
        if (!domains.isEmpty()) {
            return new HostPolicy(Set.copyOf(domains));
        }
        // Without an explicit list, the configured issuer's host is the only name we answer for.
        return new HostPolicy(config.issuer().map(URI::create).map(URI::getHost).map(Set::of).orElse(Set.of()));
    }

    @Produces
    @Singleton
    IssuerResolver issuerResolver(ProviderConfig config) {
        return new IssuerResolver(config.issuer(), config.jwksUri(), PathPrefix.normalise(config.pathPrefix()).orElse(""));
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
