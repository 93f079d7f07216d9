package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * spiffe-oidc.tls.serving-certificate=workload-api: exactly one certificate source, HTTPS only, a socket to reach
 * the agent on; and the prod profile's default certificate files withdrawn while files the operator names stay.
 */
class ServingCertificateRulesTest {

    private static final String[] AGENT = {"spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
            "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.issuer", "https://oidc.example.org",
            "quarkus.http.insecure-requests", "disabled", "spiffe-oidc.tls.serving-certificate", "workload-api"};

    private static String[] with(String... more) {
        String[] all = new String[AGENT.length + more.length];
        System.arraycopy(AGENT, 0, all, 0, AGENT.length);
        System.arraycopy(more, 0, all, AGENT.length, more.length);
        return all;
    }

    /** {@code defaults} at application.properties' ordinal, {@code operator} at the environment's, as Quarkus layers them. */
    private static SmallRyeConfig mapped(Map<String, String> defaults, String... operator) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < operator.length; i += 2) {
            values.put(operator[i], operator[i + 1]);
        }
        return new SmallRyeConfigBuilder()
                .withMapping(ProviderConfig.class)
                .withMapping(QuarkusSettings.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withInterceptors(new ServingCertificateSelection())
                .withProfile("prod")
                .withSources(new MapBackedConfigSource("application.properties", defaults, 250) {
                }, new MapBackedConfigSource("environment", values, 300) {
                })
                .build();
    }

    private static ConfigProblems.Validation validate(Map<String, String> defaults, String... operator) {
        SmallRyeConfig config = mapped(defaults, operator);
        return ConfigProblems.validate(config.getConfigMapping(ProviderConfig.class), config.getConfigMapping(QuarkusSettings.class));
    }

    private static final Map<String, String> PROD_DEFAULTS = Map.of(
            "%prod.quarkus.tls.public.key-store.pem.0.cert", "/var/run/tls/tls.crt",
            "%prod.quarkus.tls.public.key-store.pem.0.key", "/var/run/tls/tls.key");

    @Test
    void theAgentsSocketByDefaultAndTheProdProfilesFilesWithdrawn() {
        ConfigProblems.Validation validation = validate(PROD_DEFAULTS, AGENT);
        assertEquals(List.of(), validation.problems());
        TlsSettings tls = validation.settings().orElseThrow().tls();
        assertEquals(Optional.of(Path.of("/run/spire/agent.sock")), tls.svidSocket());
        assertEquals(Optional.empty(), tls.certFile());
        List<String> names = names(PROD_DEFAULTS, AGENT);
        assertFalse(names.stream().anyMatch(n -> n.contains("key-store.pem")), names.toString());
    }

    private static List<String> names(Map<String, String> defaults, String... operator) {
        List<String> names = new java.util.ArrayList<>();
        mapped(defaults, operator).getPropertyNames().forEach(names::add);
        return names;
    }

    @Test
    void withFilesTheProdProfilesFilesStay() {
        SmallRyeConfig config = mapped(PROD_DEFAULTS, "spiffe-oidc.tls.serving-certificate", "files");
        assertEquals(Optional.of(Path.of("/var/run/tls/tls.crt")), config.getConfigMapping(QuarkusSettings.class).publicCertFile());
    }

    @Test
    void itsOwnSocketWins() {
        ConfigProblems.Validation validation = validate(PROD_DEFAULTS, with("spiffe-oidc.tls.workload-api-socket", "/run/other.sock"));
        assertEquals(Optional.of(Path.of("/run/other.sock")), validation.settings().orElseThrow().tls().svidSocket());
    }

    @Test
    void filesTheOperatorNamesAreRefusedWithIt() {
        List<String> problems = validate(PROD_DEFAULTS, with("quarkus.tls.public.key-store.pem.0.cert", "/etc/tls/tls.crt",
                "quarkus.tls.public.key-store.pem.0.key", "/etc/tls/tls.key")).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("spiffe-oidc.tls.serving-certificate: workload-api serves the agent's X509-SVID;"
                + " unset quarkus.tls.public.key-store.pem.0.cert"), problems.get(0));
    }

    @Test
    void plainHttpBesideItIsRefused() {
        List<String> problems = validate(PROD_DEFAULTS, with("quarkus.http.insecure-requests", "enabled")).problems();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("quarkus.http.insecure-requests: must be disabled with"), problems.get(0));
    }

    @Test
    void withoutASocketItIsRefused() {
        List<String> problems = validate(Map.of(), "spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json",
                "spiffe-oidc.domains", "oidc.example.org", "quarkus.http.insecure-requests", "disabled",
                "spiffe-oidc.tls.serving-certificate", "workload-api").problems();
        assertEquals(List.of("spiffe-oidc.tls.workload-api-socket: required with spiffe-oidc.tls.serving-certificate=workload-api"
                + " (set spiffe-oidc.tls.workload-api-socket or SPIFFE_ENDPOINT_SOCKET)"), problems);
    }
}
