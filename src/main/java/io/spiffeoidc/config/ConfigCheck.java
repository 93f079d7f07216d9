package io.spiffeoidc.config;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigurationException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/** Refuses to start on invalid or contradictory settings, before any source or listener is used. */
@ApplicationScoped
public class ConfigCheck {

    private static final Logger LOG = Logger.getLogger(ConfigCheck.class);

    @Inject
    ProviderConfig config;

    @Inject
    Config quarkusConfig;

    void check(@Observes @Priority(10) StartupEvent event) {
        List<String> problems = new ArrayList<>(ConfigProblems.of(config));
        problems.addAll(ConfigProblems.ofQuarkus(name -> quarkusConfig.getOptionalValue(name, String.class)));
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Invalid configuration: " + String.join("; ", problems));
        }
        if (config.issuer().isEmpty() && LaunchMode.current() == LaunchMode.NORMAL) {
            LOG.warn("spiffe-oidc.issuer is not set: the issuer is derived from each request's host. Verifiers compare"
                    + " it byte for byte with the tokens' iss claim; set it explicitly in production");
        }
    }
}
