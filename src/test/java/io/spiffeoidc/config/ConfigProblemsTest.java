package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration check on real mapped configuration, built the way Quarkus builds it. */
class ConfigProblemsTest {

    private static SmallRyeConfig mapped(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return new SmallRyeConfigBuilder()
                .withMapping(ProviderConfig.class)
                .withMapping(QuarkusSettings.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new MapBackedConfigSource("test", values) {
                })
                .build();
    }

    static ProviderConfig config(String... keyValues) {
        return mapped(keyValues).getConfigMapping(ProviderConfig.class);
    }

    /** The check as start-up runs it, on both mappings of one configuration. */
    static ConfigProblems.Validation validate(String... keyValues) {
        SmallRyeConfig config = mapped(keyValues);
        return ConfigProblems.validate(config.getConfigMapping(ProviderConfig.class), config.getConfigMapping(QuarkusSettings.class));
    }

    private static List<String> problems(String... keyValues) {
        return validate(keyValues).problems();
    }

    private static void assertOneProblem(String expectedStart, String... keyValues) {
        List<String> problems = problems(keyValues);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(expectedStart), problems.get(0));
    }

    @Test
    void aCompleteProductionConfigurationHasNoProblems() {
        assertEquals(List.of(), problems("spiffe-oidc.workload-api.socket", "unix:///run/spire/agent.sock",
                "spiffe-oidc.trust-domain", "spiffe://example.org", "spiffe-oidc.issuer", "https://oidc.example.org"));
        assertEquals(List.of(), problems("spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/etc/bundle.json",
                "spiffe-oidc.domains", "oidc.example.org,xn--bcher-kva.example", "spiffe-oidc.cache-max-age", "60"));
    }

    @Test
    void namesTheMissingPropertyForEachSource() {
        assertOneProblem("spiffe-oidc.file.path: required", "spiffe-oidc.source", "file", "spiffe-oidc.domains", "a.example");
        assertOneProblem("spiffe-oidc.workload-api.socket: required", "spiffe-oidc.trust-domain", "example.org",
                "spiffe-oidc.domains", "a.example");
        assertOneProblem("spiffe-oidc.trust-domain: required", "spiffe-oidc.workload-api.socket", "/run/agent.sock",
                "spiffe-oidc.domains", "a.example");
        assertOneProblem("spiffe-oidc.server-api.socket: required", "spiffe-oidc.source", "server-api",
                "spiffe-oidc.trust-domain", "example.org", "spiffe-oidc.domains", "a.example");
    }

    @Test
    void refusesMalformedValues() {
        String[] base = {"spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json"};
        assertOneProblem("spiffe-oidc.issuer: \"ftp://x\" must be an https URL", concat(base, "spiffe-oidc.issuer", "ftp://x"));
        assertOneProblem("spiffe-oidc.issuer: \"http://x.example\" must be an https URL (http needs",
                concat(base, "spiffe-oidc.issuer", "http://x.example"));
        assertEquals(List.of(), problems(concat(base, "spiffe-oidc.issuer", "http://x.example",
                "spiffe-oidc.allow-insecure-scheme", "true")));
        assertOneProblem("spiffe-oidc.issuer: \"https://x.example/?a=b\" must be an absolute URL",
                concat(base, "spiffe-oidc.issuer", "https://x.example/?a=b"));
        assertOneProblem("spiffe-oidc.jwks-uri:", concat(base, "spiffe-oidc.issuer", "https://x.example",
                "spiffe-oidc.jwks-uri", "keys"));
        assertOneProblem("spiffe-oidc.domains: \"bücher.example\" must be written in punycode",
                concat(base, "spiffe-oidc.domains", "bücher.example"));
        assertOneProblem("spiffe-oidc.domains: \"https://a.example\" is not a host name",
                concat(base, "spiffe-oidc.domains", "https://a.example"));
        assertOneProblem("spiffe-oidc.path-prefix:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.path-prefix", "oidc"));
        assertOneProblem("spiffe-oidc.path-prefix:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.path-prefix", "/a/../b"));
        assertOneProblem("spiffe-oidc.cache-max-age:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.cache-max-age", "2h"));
        assertOneProblem("spiffe-oidc.request-head-timeout: PT0.5S is outside 1s..5m", concat(base,
                "spiffe-oidc.domains", "a.example", "spiffe-oidc.request-head-timeout", "500ms"));
        assertOneProblem("spiffe-oidc.request-head-timeout:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.request-head-timeout", "1h"));
        assertOneProblem("spiffe-oidc.file.poll-interval:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.file.poll-interval", "1ms"));
        assertOneProblem("spiffe-oidc.trust-domain:", concat(base, "spiffe-oidc.domains", "a.example",
                "spiffe-oidc.trust-domain", "Example.ORG"));
        assertOneProblem("spiffe-oidc.workload-api.socket: \"tcp://127.0.0.1:8081\" is not a Unix socket",
                "spiffe-oidc.workload-api.socket", "tcp://127.0.0.1:8081", "spiffe-oidc.trust-domain", "example.org",
                "spiffe-oidc.domains", "a.example");
    }

    @Test
    void checksTheCacheLifetimeBoundsAndTheKeyThreshold() {
        String[] base = {"spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json", "spiffe-oidc.domains", "a.example"};
        assertEquals(List.of(), problems(concat(base, "spiffe-oidc.cache-max-age-min", "30s",
                "spiffe-oidc.cache-max-age-max", "15m", "spiffe-oidc.keys-warn-threshold", "90")));
        assertEquals(List.of(), problems(concat(base, "spiffe-oidc.cache-max-age", "30s")),
                "a short max-age alone lowers the default minimum with it");
        assertOneProblem("spiffe-oidc.cache-max-age-min: 120 s is longer than spiffe-oidc.cache-max-age (60 s)",
                concat(base, "spiffe-oidc.cache-max-age", "60s", "spiffe-oidc.cache-max-age-min", "2m"));
        assertOneProblem("spiffe-oidc.cache-max-age-min: 600 s is longer than spiffe-oidc.cache-max-age-max (300 s)",
                concat(base, "spiffe-oidc.cache-max-age-min", "10m", "spiffe-oidc.cache-max-age-max", "5m"));
        assertOneProblem("spiffe-oidc.cache-max-age-max: 7200 s is outside 0..3600 s",
                concat(base, "spiffe-oidc.cache-max-age-max", "2h"));
        assertOneProblem("spiffe-oidc.cache-max-age-min: -1 s is outside 0..3600 s",
                concat(base, "spiffe-oidc.cache-max-age-min", "-1s"));
        assertOneProblem("spiffe-oidc.keys-warn-threshold: 0 is outside 1..1000",
                concat(base, "spiffe-oidc.keys-warn-threshold", "0"));
        assertOneProblem("spiffe-oidc.keys-warn-threshold: 5000 is outside 1..1000",
                concat(base, "spiffe-oidc.keys-warn-threshold", "5000"));
        assertEquals(new io.spiffeoidc.bundle.CacheLifetime(Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(15)),
                ConfigProblems.cacheLifetime(config(concat(base, "spiffe-oidc.cache-max-age-min", "30s",
                        "spiffe-oidc.cache-max-age-max", "15m"))));
    }

    @Test
    void needsDomainsOrAnIssuerToKnowWhichHostsToAnswer() {
        assertOneProblem("spiffe-oidc.domains: required when spiffe-oidc.issuer is not set",
                "spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/b.json");
    }

    @Test
    void derivesTheStalenessThresholdFromThePollInterval() {
        assertEquals(Duration.ofMinutes(3), ConfigProblems.defaultThreshold(config()));
        assertEquals(Duration.ofMinutes(5), ConfigProblems.defaultThreshold(config("spiffe-oidc.source", "file",
                "spiffe-oidc.file.poll-interval", "1m")));
    }

    @Test
    void normalisesThePathPrefix() {
        assertEquals("", PathPrefix.normalise("/").orElseThrow());
        assertEquals("/oidc", PathPrefix.normalise("/oidc/").orElseThrow());
        assertEquals("/a/b", PathPrefix.normalise("/a/b").orElseThrow());
        assertTrue(PathPrefix.normalise("//").isEmpty());
        assertTrue(PathPrefix.normalise("/a b").isEmpty());
    }

    private static final String[] FILE_BASE = {"spiffe-oidc.source", "file", "spiffe-oidc.file.path", "/etc/bundle.json",
            "spiffe-oidc.domains", "oidc.example.org"};

    private static TlsParameters tls(String... keyValues) {
        ConfigProblems.Validation validation = validate(concat(FILE_BASE, keyValues));
        assertEquals(List.of(), validation.problems());
        return validation.settings().orElseThrow().tls().parameters();
    }

    @Test
    void tlsParametersAreParsedOnce() {
        assertEquals(TlsParameters.defaults(), tls());
        assertEquals(new TlsParameters(true, List.of(), List.of(), false), tls("quarkus.tls.public.protocols", "TLSv1.3,TLSv1.2"));
        assertEquals(new TlsParameters(false, List.of(), List.of("x25519"), true), tls("quarkus.tls.public.protocols", "TLSv1.3",
                "quarkus.tls.public.cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "spiffe-oidc.tls.groups", "X25519"),
                "suites are ignored when TLS 1.3 is the minimum; group names in any case");
        assertEquals(new TlsParameters(true, List.of("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                List.of("X25519MLKEM768", "secp256r1"), false),
                tls("quarkus.tls.public.cipher-suites", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                        "spiffe-oidc.tls.groups", "x25519mlkem768,SECP256R1"));
        assertEquals(new TlsParameters(false, List.of(), List.of("X25519MLKEM768"), false),
                tls("quarkus.tls.public.protocols", "TLSv1.3", "spiffe-oidc.tls.groups", "X25519MLKEM768"),
                "a hybrid group alone is fine when TLS 1.3 is the minimum");
    }

    @Test
    void tlsParametersBelowTheBarAreOneLineEach() {
        assertOneProblem("quarkus.tls.public.protocols: TLSv1.1 is below TLS 1.2; use TLSv1.3,TLSv1.2 or TLSv1.3",
                concat(FILE_BASE, "quarkus.tls.public.protocols", "TLSv1.3,TLSv1.2,TLSv1.1"));
        assertOneProblem("quarkus.tls.public.protocols: TLSv1 is below TLS 1.2",
                concat(FILE_BASE, "quarkus.tls.public.protocols", "TLSv1"));
        assertOneProblem("quarkus.tls.public.protocols: \"TLSv2\" is not TLSv1.3 or TLSv1.2",
                concat(FILE_BASE, "quarkus.tls.public.protocols", "TLSv2"));
        for (String insecure : List.of("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256",
                "SSL_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")) {
            assertOneProblem("quarkus.tls.public.cipher-suites: " + insecure
                    + " is refused: only forward-secret ECDHE suites with an AEAD cipher are allowed (",
                    concat(FILE_BASE, "quarkus.tls.public.cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256," + insecure));
        }
        assertOneProblem("quarkus.tls.public.cipher-suites: \"ECDHE-RSA-AES128-GCM-SHA256\" is not a cipher suite name",
                concat(FILE_BASE, "quarkus.tls.public.cipher-suites", "ECDHE-RSA-AES128-GCM-SHA256"));
        assertOneProblem("quarkus.tls.public.cipher-suites: lists only TLS 1.3 suites",
                concat(FILE_BASE, "quarkus.tls.public.cipher-suites", "TLS_AES_128_GCM_SHA256"));
        assertOneProblem("spiffe-oidc.tls.groups: \"ffdhe2048\" is not a key exchange group this service knows (",
                concat(FILE_BASE, "spiffe-oidc.tls.groups", "x25519,ffdhe2048"));
        assertOneProblem("spiffe-oidc.tls.groups: X25519MLKEM768,SecP256r1MLKEM768 are TLS 1.3-only (hybrid ML-KEM) groups,"
                + " but quarkus.tls.public.protocols allows TLSv1.2, whose clients could never complete a handshake;",
                concat(FILE_BASE, "spiffe-oidc.tls.groups", "X25519MLKEM768,SecP256r1MLKEM768"));
    }

    static String[] concat(String[] base, String... more) {
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }
}
