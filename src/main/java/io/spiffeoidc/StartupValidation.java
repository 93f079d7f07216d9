package io.spiffeoidc;

import io.quarkus.runtime.configuration.ConfigurationException;
import io.smallrye.config.ConfigValidator;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.SmallRyeConfigBuilderCustomizer;
import io.spiffeoidc.config.ConfigProblems;
import io.spiffeoidc.config.ProviderConfig;
import io.spiffeoidc.config.QuarkusSettings;
import io.spiffeoidc.config.ServingCertificateSelection;
import io.spiffeoidc.config.TlsParameters;
import io.spiffeoidc.tls.StartupCertificates;
import io.spiffeoidc.tls.TlsEngines;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs every start-up check while Quarkus builds its configuration: before any bean exists and before
 * the TLS registry reads the certificate files, on values merged from every configuration source.
 * Registered through the ServiceLoader, as SmallRye Config customizers are.
 */
public final class StartupValidation implements SmallRyeConfigBuilderCustomizer {

    @Override
    public void configBuilder(SmallRyeConfigBuilder builder) {
        builder.withMapping(QuarkusSettings.class).withValidator(new Validator()).withInterceptors(new ServingCertificateSelection());
    }

    /**
     * All problems, configuration, certificate files and what the TLS engine supports together, as the one
     * line start-up ends with.
     */
    static List<String> problems(ProviderConfig config, QuarkusSettings quarkus) {
        List<String> problems = new ArrayList<>(ConfigProblems.of(config, quarkus));
        problems.addAll(StartupCertificates.problems(quarkus.publicCertFile(), quarkus.publicKeyFile(), Instant.now()));
        // Only names the configuration check accepted are put to the engine; an unknown one is already a line.
        List<String> configured = config.tls().groups().orElse(List.of());
        List<String> groups = configured.stream().map(TlsParameters::groupName).flatMap(Optional::stream).toList();
        if (groups.size() == configured.size()) {
            problems.addAll(TlsEngines.problems(config.tls().nativeEngine(), groups));
        }
        return problems;
    }

    /** Quarkus prints a ConfigurationException as its message alone: one line, no stack trace, exit 1. */
    static ConfigurationException refusal(List<String> problems) {
        return new ConfigurationException("Invalid configuration: " + String.join("; ", problems));
    }

    /**
     * SmallRye hands each mapping over as it is built, in no fixed order; the check runs once both of
     * ours are there. A ConfigurationException, unlike a validation problem, stops the build at once.
     */
    private static final class Validator implements ConfigValidator {

        private ProviderConfig config;
        private QuarkusSettings quarkus;

        @Override
        public void validateMapping(Class<?> mappingClass, String prefix, Object mappingObject) {
            if (mappingObject instanceof ProviderConfig provider) {
                config = provider;
            } else if (mappingObject instanceof QuarkusSettings settings) {
                quarkus = settings;
            } else {
                return;
            }
            if (config != null && quarkus != null) {
                List<String> problems = problems(config, quarkus);
                if (!problems.isEmpty()) {
                    throw refusal(problems);
                }
            }
        }
    }
}
