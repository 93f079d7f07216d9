package io.spiffeoidc;

import io.quarkus.runtime.LaunchMode;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.config.ConfigProblems;
import io.spiffeoidc.config.ProviderConfig;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.http.HostPolicy;
import io.spiffeoidc.http.IssuerResolver;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
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
    ProviderSettings settings(ProviderConfig config) {
        ConfigProblems.Validation validation = ConfigProblems.validate(config);
        ProviderSettings settings = validation.settings().orElseThrow(() -> StartupValidation.refusal(validation.problems()));
        if (settings.issuer().isEmpty() && LaunchMode.current() == LaunchMode.NORMAL) {
            LOG.warn("spiffe-oidc.issuer is not set: the issuer is derived from each request's host. Verifiers compare"
                    + " it byte for byte with the tokens' iss claim; set it explicitly in production");
        }
        return settings;
    }

    @Produces
    @Singleton
    BundlePublisher publisher(ProviderSettings settings) {
        return new BundlePublisher(settings.source().label(), settings.markSignatureUse(), Clock.systemUTC(),
                settings.publicationRules());
    }

    @Produces
    @Singleton
    HostPolicy hostPolicy(ProviderSettings settings) {
        return new HostPolicy(settings.hosts());
    }

    @Produces
    @Singleton
    IssuerResolver issuerResolver(ProviderSettings settings) {
        return new IssuerResolver(settings.issuer(), settings.jwksUri(), settings.pathPrefix());
    }
}
