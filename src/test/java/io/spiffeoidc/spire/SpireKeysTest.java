package io.spiffeoidc.spire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.spiffeoidc.spire.SpireSettings.HealthChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each SPIRE key and the property it becomes; SPIRE's own rules, one line naming the key. */
class SpireKeysTest {

    private static final Path FILE = Path.of("/run/spire/oidc/config/oidc-discovery-provider.conf");

    private static SpireSettings map(String json) throws Exception {
        return SpireKeys.map(FILE, new ObjectMapper().readTree(json));
    }

    private static String refused(String json) {
        return assertThrows(SpireConfigException.class, () -> map(json)).getMessage()
                .substring(("Invalid SPIRE configuration " + FILE + ": ").length());
    }

    @Test
    void theOperatorsFile() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["spire-spiffe-oidc-discovery-provider", "oidc-discovery.apps.example.com"],
                 "health_checks": {"bind_port": "8008", "live_path": "/live", "ready_path": "/ready"},
                 "log_format": "text", "log_level": "info",
                 "serving_cert_file": {"addr": ":8443", "cert_file_path": "/etc/oidc/tls/tls.crt",
                                       "key_file_path": "/etc/oidc/tls/tls.key"},
                 "workload_api": {"socket_path": "/spiffe-workload-api/spire-agent.sock", "trust_domain": "example.com"}}
                """);
        assertEquals(Map.ofEntries(
                Map.entry("spiffe-oidc.domains", "spire-spiffe-oidc-discovery-provider,oidc-discovery.apps.example.com"),
                Map.entry("spiffe-oidc.key-use", "none"),
                Map.entry("spiffe-oidc.source", "workload-api"),
                Map.entry("spiffe-oidc.workload-api.socket", "/spiffe-workload-api/spire-agent.sock"),
                Map.entry("spiffe-oidc.trust-domain", "example.com"),
                Map.entry("quarkus.tls.public.key-store.pem.0.cert", "/etc/oidc/tls/tls.crt"),
                Map.entry("quarkus.tls.public.key-store.pem.0.key", "/etc/oidc/tls/tls.key"),
                Map.entry("quarkus.http.host", "0.0.0.0"),
                Map.entry("quarkus.http.ssl-port", "8443"),
                Map.entry("quarkus.http.insecure-requests", "disabled"),
                Map.entry("quarkus.log.level", "INFO")), settings.properties());
        assertEquals(Optional.of(new HealthChecks(8008, "/ready", "/live")), settings.healthChecks());
        assertEquals(Optional.empty(), settings.profile());
        assertEquals(List.of(), settings.notices());
    }

    @Test
    void everyOtherKey() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["a.example", "a.example", "b.example"], "jwt_issuer": "https://a.example",
                 "jwks_uri": "https://b.example/keys", "server_path_prefix": "/oidc", "set_key_use": true,
                 "allow_insecure_scheme": true, "listen_socket_path": "/run/oidc/http.sock",
                 "server_api": {"address": "unix:///run/spire/api.sock", "poll_interval": "1m30s"},
                 "health_checks": {"bind_port": 9999}, "log_level": "DEBUG", "log_format": "JSON",
                 "log_requests": true, "log_path": "/var/log/oidc.log"}
                """);
        Map<String, String> p = settings.properties();
        assertEquals("a.example,b.example", p.get("spiffe-oidc.domains"), "repeated names dropped, as SPIRE does");
        assertEquals("https://a.example", p.get("spiffe-oidc.issuer"));
        assertEquals("https://b.example/keys", p.get("spiffe-oidc.jwks-uri"));
        assertEquals("/oidc", p.get("spiffe-oidc.path-prefix"));
        assertEquals("sig", p.get("spiffe-oidc.key-use"));
        assertEquals("true", p.get("spiffe-oidc.allow-insecure-scheme"));
        assertEquals("/run/oidc/http.sock", p.get("quarkus.http.domain-socket"));
        assertEquals("true", p.get("quarkus.http.domain-socket-enabled"));
        assertEquals("false", p.get("quarkus.http.host-enabled"));
        assertEquals(Optional.of("plain-http"), settings.profile());
        assertEquals("server-api", p.get("spiffe-oidc.source"));
        assertEquals("unix:///run/spire/api.sock", p.get("spiffe-oidc.server-api.socket"));
        assertEquals("PT1M30S", p.get("spiffe-oidc.server-api.poll-interval"));
        assertEquals(Optional.of(new HealthChecks(9999, "/ready", "/live")), settings.healthChecks());
        assertEquals("DEBUG", p.get("quarkus.log.level"));
        assertEquals("%s%n", p.get("quarkus.log.file.format"), "JSON lines on the file, the one active handler");
        assertEquals("spire-json", p.get("quarkus.log.file.filter"));
        assertEquals("true", p.get("quarkus.http.access-log.enabled"));
        assertEquals("/var/log/oidc.log", p.get("quarkus.log.file.path"));
        assertEquals("false", p.get("quarkus.log.console.enabled"));
    }

    @Test
    void fileSourceAndInsecureAddress() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["localhost"], "insecure_addr": "127.0.0.1:8080",
                 "file": {"path": "/etc/bundle.json", "poll_interval": "0s"},
                 "serving_cert_file_missing": 1}
                """);
        Map<String, String> p = settings.properties();
        assertEquals("file", p.get("spiffe-oidc.source"));
        assertEquals("/etc/bundle.json", p.get("spiffe-oidc.file.path"));
        assertEquals(null, p.get("spiffe-oidc.file.poll-interval"), "0 is SPIRE's default, which is ours too");
        assertEquals("127.0.0.1", p.get("quarkus.http.host"));
        assertEquals("8080", p.get("quarkus.http.port"));
        assertEquals("enabled", p.get("quarkus.http.insecure-requests"));
        assertEquals(List.of(new Notice(Notice.Level.WARN, "SPIRE configuration " + FILE
                + ": unknown key \"serving_cert_file_missing\" ignored")), settings.notices());
    }

    @Test
    void aPollIntervalOnTheStreamedSourceIsOneInfoLine() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["a.example"], "insecure_addr": ":8080",
                 "workload_api": {"socket_path": "/s.sock", "trust_domain": "example.org", "poll_interval": "10s",
                                  "experimental": {"future": 1}}}
                """);
        assertEquals(2, settings.notices().size(), settings.notices().toString());
        assertEquals(Notice.Level.INFO, settings.notices().get(0).level());
        assertTrue(settings.notices().get(0).message().startsWith("workload_api.poll_interval is not used"));
        assertTrue(settings.notices().get(1).message().contains("\"workload_api.experimental.future\""));
    }

    private static final String MINIMAL = """
            "domains": ["a.example"], "insecure_addr": ":8080", "file": {"path": "/b.json"}""";

    @Test
    void tlsConfigBecomesTheListenersProtocolsSuitesAndGroups() throws Exception {
        SpireSettings settings = map("{" + MINIMAL + """
                , "tls_config": {"min_tls_version": "VersionTLS12",
                  "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
                                    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
                  "curve_preferences": ["X25519MLKEM768", "X25519", "CurveP256", "p-384", "P521", "secp256r1mlkem768",
                                        "SecP384r1MLKEM1024", ""]}}
                """);
        Map<String, String> p = settings.properties();
        assertEquals("TLSv1.3,TLSv1.2", p.get("quarkus.tls.public.protocols"));
        assertEquals("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,"
                + "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", p.get("quarkus.tls.public.cipher-suites"),
                "Go's ChaCha20 spelling gets its IANA hash suffix");
        assertEquals("X25519MLKEM768,x25519,secp256r1,secp384r1,secp521r1,SecP256r1MLKEM768,SecP384r1MLKEM1024",
                p.get("spiffe-oidc.tls.groups"));
        assertEquals(List.of(), settings.notices(), "tls_config is a known key now");

        assertEquals("TLSv1.3", map("{" + MINIMAL + ", \"tls_config\": {\"min_tls_version\": \"versiontls13\"}}")
                .properties().get("quarkus.tls.public.protocols"), "version names in any case");
        assertEquals("secp256r1,x25519", map("{" + MINIMAL + ", \"tls_config\": {\"curve_preferences\": [\"23\", \"29\"]}}")
                .properties().get("spiffe-oidc.tls.groups"), "Go's numeric curve IDs, as SPIRE accepts them");
        Map<String, String> empty = map("{" + MINIMAL + ", \"tls_config\": {}}").properties();
        assertTrue(empty.keySet().stream().noneMatch(k -> k.startsWith("quarkus.tls.public.") || k.equals("spiffe-oidc.tls.groups")),
                empty.toString());
    }

    @Test
    void tlsConfigValuesSpireCannotMeanAreOneLineNamingTheKey() {
        assertEquals("tls_config.min_tls_version: \"VersionTLS11\" is below TLS 1.2; use VersionTLS12 or VersionTLS13",
                refused("{" + MINIMAL + ", \"tls_config\": {\"min_tls_version\": \"VersionTLS11\"}}"));
        assertEquals("tls_config.min_tls_version: \"VersionTLS10\" is below TLS 1.2; use VersionTLS12 or VersionTLS13",
                refused("{" + MINIMAL + ", \"tls_config\": {\"min_tls_version\": \"VersionTLS10\"}}"));
        assertEquals("tls_config.min_tls_version: \"TLS1.3\" is not VersionTLS12 or VersionTLS13",
                refused("{" + MINIMAL + ", \"tls_config\": {\"min_tls_version\": \"TLS1.3\"}}"));
        assertEquals("tls_config.curve_preferences: \"CurveP224\" is not a curve (CurveP256, CurveP384, CurveP521, X25519,"
                + " X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024)",
                refused("{" + MINIMAL + ", \"tls_config\": {\"curve_preferences\": [\"X25519\", \"CurveP224\"]}}"));
        assertEquals("tls_config.cipher_suites: must be a list of strings, not the string \"TLS_AES_128_GCM_SHA256\"",
                refused("{" + MINIMAL + ", \"tls_config\": {\"cipher_suites\": \"TLS_AES_128_GCM_SHA256\"}}"));
    }

    @Test
    void servingCertSourceWorkloadApiServesTheAgentsSvidOnTheSourcesSocketByDefault() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["oidc.example.org"],
                 "serving_cert_source": {"workload_api": {"addr": ":8443"}},
                 "workload_api": {"socket_path": "/spiffe-workload-api/spire-agent.sock", "trust_domain": "example.org"}}
                """);
        Map<String, String> properties = settings.properties();
        assertEquals("workload-api", properties.get("spiffe-oidc.tls.serving-certificate"));
        assertEquals("/spiffe-workload-api/spire-agent.sock", properties.get("spiffe-oidc.tls.workload-api-socket"));
        assertEquals("8443", properties.get("quarkus.http.ssl-port"));
        assertEquals("disabled", properties.get("quarkus.http.insecure-requests"));
        assertEquals(null, properties.get("quarkus.tls.public.key-store.pem.0.cert"));
        assertEquals(List.of(), settings.notices());

        SpireSettings ownSocket = map("""
                {"domains": ["oidc.example.org"], "file": {"path": "/b.json"},
                 "serving_cert_source": {"workload_api": {"socket_path": "/run/agent/api.sock"}}}
                """);
        assertEquals("/run/agent/api.sock", ownSocket.properties().get("spiffe-oidc.tls.workload-api-socket"));
        assertEquals("443", ownSocket.properties().get("quarkus.http.ssl-port"), "SPIRE's default addr, :443");
    }

    @Test
    void servingCertSourceCertFileIsServingCertFileUnderAnotherName() throws Exception {
        SpireSettings settings = map("""
                {"domains": ["oidc.example.org"], "file": {"path": "/b.json"},
                 "serving_cert_source": {"cert_file": {"addr": ":8443", "cert_file_path": "/c", "key_file_path": "/k"}}}
                """);
        assertEquals("/c", settings.properties().get("quarkus.tls.public.key-store.pem.0.cert"));
        assertEquals("/k", settings.properties().get("quarkus.tls.public.key-store.pem.0.key"));
        assertEquals(null, settings.properties().get("spiffe-oidc.tls.serving-certificate"));
    }

    @Test
    void servingCertSourceRules() {
        String file = "\"domains\": [\"a\"], \"file\": {\"path\": \"/b\"}, ";
        assertEquals("serving_cert_file, serving_cert_source \"workload_api\": only one listener may be configured",
                refused("{" + file + "\"serving_cert_file\": {\"cert_file_path\": \"/c\", \"key_file_path\": \"/k\"},"
                        + " \"serving_cert_source\": {\"workload_api\": {}}}"));
        assertEquals("serving_cert_source \"workload_api\", insecure_addr: only one listener may be configured",
                refused("{" + file + "\"insecure_addr\": \":80\", \"serving_cert_source\": {\"workload_api\": {}}}"));
        assertEquals("serving_cert_source \"workload_api\", listen_socket_path: only one listener may be configured",
                refused("{" + file + "\"listen_socket_path\": \"/l.sock\", \"serving_cert_source\": {\"workload_api\": {}}}"));
        assertEquals("serving_cert_source: exactly one source must be configured (workload_api, cert_file or acme), not 2",
                refused("{" + file + "\"serving_cert_source\": {\"workload_api\": {}, \"cert_file\": {}}}"));
        assertTrue(refused("{" + file + "\"serving_cert_source\": {\"acme\": {}}}").startsWith("serving_cert_source.acme: not supported"));
        assertEquals("serving_cert_source.vault: unknown serving certificate source (workload_api, cert_file or acme)",
                refused("{" + file + "\"serving_cert_source\": {\"vault\": {}}}"));
        assertEquals("serving_cert_source.cert_file.key_file_path: required in the serving_cert_source.cert_file section",
                refused("{" + file + "\"serving_cert_source\": {\"cert_file\": {\"cert_file_path\": \"/c\"}}}"));
    }

    @Test
    void spiresOwnRules() {
        assertEquals("domains: required: the host names the provider is served under",
                refused("{\"domains\": [], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\"}}"));
        assertEquals("one of serving_cert_file, serving_cert_source, insecure_addr or listen_socket_path must be configured",
                refused("{\"domains\": [\"a\"], \"file\": {\"path\": \"/b\"}}"));
        assertEquals("serving_cert_file.cert_file_path: required in the serving_cert_file section",
                refused("{\"domains\": [\"a\"], \"file\": {\"path\": \"/b\"}, \"serving_cert_file\": {\"key_file_path\": \"/k\"}}"));
        assertEquals("serving_cert_file.addr: \"8443\" is not a listen address (host:port or :port)",
                refused("{\"domains\": [\"a\"], \"file\": {\"path\": \"/b\"}, \"serving_cert_file\": {\"addr\": \"8443\","
                        + " \"cert_file_path\": \"/c\", \"key_file_path\": \"/k\"}}"));
        assertEquals("file.poll_interval: \"10 seconds\" is not a duration (for example 10s, 1m30s)",
                refused("{\"domains\": [\"a\"], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\", \"poll_interval\": \"10 seconds\"}}"));
        assertEquals("log_level: \"loud\" is not one of debug, info, warn, error",
                refused("{\"domains\": [\"a\"], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\"}, \"log_level\": \"loud\"}"));
        assertEquals("experimental.listen_named_pipe_name: Windows named pipes are not supported (Linux only);"
                + " one of serving_cert_file, serving_cert_source, insecure_addr or listen_socket_path must be configured",
                refused("{\"domains\": [\"a\"], \"file\": {\"path\": \"/b\"}, \"experimental\": {\"listen_named_pipe_name\": \"p\"}}"));
        assertEquals("health_checks.bind_port: must be a port number (a number or a string of digits), not true",
                refused("{\"domains\": [\"a\"], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\"}, \"health_checks\": {\"bind_port\": true}}"));
        assertEquals("the file must hold one JSON object", assertThrows(SpireConfigException.class,
                () -> map("[1]")).getMessage().substring(("Invalid SPIRE configuration " + FILE + ": ").length()));
    }

    private static final String SERVED = "\"domains\": [\"a\"], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\"}";
    private static final String LOG = "\"log_path\": \"/var/log/oidc.log\"";
    private static final String ROTATION = "quarkus.log.file.rotation.";

    /** The rotation properties a file maps to, and its notices. */
    private static Map<String, String> rotation(String keys) throws Exception {
        SpireSettings settings = map("{" + SERVED + ", " + keys + "}");
        Map<String, String> rotation = new java.util.TreeMap<>();
        settings.properties().forEach((k, v) -> {
            if (k.startsWith(ROTATION)) {
                rotation.put(k.substring(ROTATION.length()), v);
            }
        });
        settings.notices().forEach(n -> rotation.put("notice " + n.level(), n.message()));
        return rotation;
    }

    @Test
    void withoutTheRotationBlockTheLogFileIsNeverRotatedAsInSpire() throws Exception {
        assertEquals(Map.of("enabled", "false"), rotation(LOG), "Quarkus's default would rotate at 10 MiB and at start");
        assertEquals(Map.of(), rotation("\"log_level\": \"info\""), "no file, nothing to rotate");
    }

    @Test
    void aBareRotationBlockIsBoundedBySpiresDefaults() throws Exception {
        assertEquals(Map.of("enabled", "true", "max-file-size", "100M", "max-backup-index", "7", "rotate-on-boot", "false"),
                rotation(LOG + ", \"log_file_rotation\": {}"));
    }

    @Test
    void explicitRotationValues() throws Exception {
        assertEquals(Map.of("enabled", "true", "max-file-size", "1M", "max-backup-index", "2", "rotate-on-boot", "false"),
                rotation(LOG + ", \"log_file_rotation\": {\"max_size_mb\": 1, \"max_files\": 2}"));
        assertEquals(Map.of("enabled", "true", "max-file-size", "250M", "max-backup-index", "7", "rotate-on-boot", "false"),
                rotation(LOG + ", \"log_file_rotation\": {\"max_size_mb\": \"250\"}"), "a string of digits, as HCL takes it");
        assertEquals(Map.of("enabled", "true", "max-file-size", "100M", "max-backup-index", "30", "rotate-on-boot", "false"),
                rotation(LOG + ", \"log_file_rotation\": {\"max_files\": 30}"));
    }

    @Test
    void zeroTurnsEachBoundOff() throws Exception {
        assertEquals(Map.of("enabled", "false"), rotation(LOG + ", \"log_file_rotation\": {\"max_size_mb\": 0, \"max_files\": 3}"),
                "no size bound: SPIRE never rotates in process, and retention runs on rotation only");
        String keepAll = "log_file_rotation.max_files = 0: at most 1000 rotated files are kept (/var/log/oidc.log.1 to"
                + " .1000), the oldest beyond that is deleted";
        assertEquals(Map.of("enabled", "true", "max-file-size", "100M", "max-backup-index", "1000", "rotate-on-boot", "false",
                "notice WARN", keepAll), rotation(LOG + ", \"log_file_rotation\": {\"max_files\": 0}"));
        assertEquals("1000", rotation(LOG + ", \"log_file_rotation\": {\"max_files\": 5000}").get("max-backup-index"));
    }

    @Test
    void rotationRules() throws Exception {
        assertEquals("log_file_rotation: requires log_path (only the log file is rotated)",
                refused("{" + SERVED + ", \"log_file_rotation\": {\"max_size_mb\": 10}}"));
        assertEquals("log_file_rotation.max_size_mb: must be 0 or more, not -1; log_file_rotation.max_files: must be a whole"
                + " number (a number or a string of digits), not the number 1.5",
                refused("{" + SERVED + ", " + LOG + ", \"log_file_rotation\": {\"max_size_mb\": -1, \"max_files\": 1.5}}"));
        assertEquals("log_file_rotation.max_files: must be a whole number (a number or a string of digits), not the string"
                + " \"seven\"; log_file_rotation: requires log_path (only the log file is rotated)",
                refused("{" + SERVED + ", \"log_file_rotation\": {\"max_files\": \"seven\"}}"));
        assertEquals("log_file_rotation: must be a section (a JSON object), not true",
                refused("{" + SERVED + ", " + LOG + ", \"log_file_rotation\": true}"));
        assertEquals("log_file_rotation.max_size_mb: must be a whole number (a number or a string of digits), not the"
                + " number 10000000000", refused("{" + SERVED + ", " + LOG + ", \"log_file_rotation\": {\"max_size_mb\": 10000000000}}"));
        // max_age_days was dropped from SPIRE's change before it merged: an unknown key like any other.
        assertEquals(List.of(new Notice(Notice.Level.WARN, "SPIRE configuration " + FILE
                + ": unknown key \"log_file_rotation.max_age_days\" ignored")),
                map("{" + SERVED + ", " + LOG + ", \"log_file_rotation\": {\"max_age_days\": 30}}").notices());
    }

    @Test
    void goDurations() {
        assertEquals(Optional.of(Duration.ofSeconds(90)), GoDuration.parse("1m30s"));
        assertEquals(Optional.of(Duration.ofMillis(1500)), GoDuration.parse("1.5s"));
        assertEquals(Optional.of(Duration.ofMillis(250)), GoDuration.parse("250ms"));
        assertEquals(Optional.of(Duration.ofHours(2)), GoDuration.parse("2h"));
        assertEquals(Optional.of(Duration.ZERO), GoDuration.parse("0"));
        assertEquals(Optional.empty(), GoDuration.parse("10"));
        assertEquals(Optional.empty(), GoDuration.parse("1m 30s"));
        assertEquals(Optional.empty(), GoDuration.parse("PT10S"));
    }

    @Test
    void arguments() throws Exception {
        assertEquals(Optional.empty(), SpireArguments.parse());
        assertEquals(Optional.of(new SpireArguments(Path.of("/c.conf"), false)), SpireArguments.parse("-config", "/c.conf"));
        assertEquals(Optional.of(new SpireArguments(Path.of("/c.conf"), true)),
                SpireArguments.parse("--config=/c.conf", "-expandEnv"));
        assertEquals(Optional.of(new SpireArguments(Path.of("/c.conf"), false)),
                SpireArguments.parse("-expandEnv=false", "-config", "/c.conf"));
        assertTrue(assertThrows(SpireConfigException.class, () -> SpireArguments.parse("-config"))
                .getMessage().startsWith("Invalid arguments: -config needs a file path"));
        assertTrue(assertThrows(SpireConfigException.class, () -> SpireArguments.parse("serve"))
                .getMessage().startsWith("Invalid arguments: unexpected argument \"serve\""));
    }

    @Test
    void expandEnvReplacesVariablesAsSpireDoes() throws Exception {
        Map<String, String> env = Map.of("TD", "example.org", "PORT", "8443");
        assertEquals("example.org:8443 $ :", SpireConfigFile.expand("${TD}:$PORT $$ $UNSET:", env::get));
        Path file = Files.createTempFile("spire", ".json");
        Files.writeString(file, "{\"domains\": [\"$HOST\"], \"insecure_addr\": \":80\", \"file\": {\"path\": \"/b\"}}");
        assertEquals("oidc.example.org", SpireConfigFile.read(file, true, Map.of("HOST", "oidc.example.org")::get)
                .properties().get("spiffe-oidc.domains"));
        Files.delete(file);
    }
}
