package io.spiffeoidc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.deploy.JvmOptions;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged service refuses bad settings with one line naming the property and a non-zero exit. */
class StartupFailureIT {

    private record Outcome(int exitCode, List<String> lines) {
    }

    private static Outcome start(Map<String, String> env) throws IOException, InterruptedException {
        return start(env, List.of(), Path.of("target/quarkus-app/quarkus-run.jar"));
    }

    private static Outcome start(Map<String, String> env, List<String> launcher, Path jar)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 24) {
            // What bin/start adds on these JVMs; given inline, since the unprivileged cases cannot read bin/.
            command.addAll(JvmOptions.load(Path.of("bin/jvm25.options")));
        }
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
        // The production profile first needs its certificate files; plain-http reaches our own check directly.
        builder.environment().put("QUARKUS_PROFILE", "plain-http");
        builder.environment().put("QUARKUS_HTTP_PORT", "0");
        builder.environment().put("QUARKUS_HTTP_SSL_PORT", "0");
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", "0");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the service did not exit on invalid configuration");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Outcome(process.exitValue(), output.lines().filter(l -> !l.isBlank()).toList());
    }

    @Test
    void missingFilePathStopsStartUp() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "file", "SPIFFE_OIDC_DOMAINS", "oidc.example.org"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(List.of("Invalid configuration: spiffe-oidc.file.path: required when spiffe-oidc.source=file"),
                outcome.lines());
    }

    @Test
    void everyProblemIsNamedOnTheSameLine() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "workload-api", "SPIFFE_OIDC_ISSUER", "http://oidc.example.org",
                "SPIFFE_OIDC_CACHE_MAX_AGE", "86400"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        String line = outcome.lines().get(0);
        assertTrue(line.contains("spiffe-oidc.workload-api.socket: required"), line);
        assertTrue(line.contains("spiffe-oidc.trust-domain: required"), line);
        assertTrue(line.contains("spiffe-oidc.issuer: \"http://oidc.example.org\" must be an https URL"), line);
        assertTrue(line.contains("spiffe-oidc.cache-max-age: 86400 s is outside"), line);
    }

    @Test
    void anUnknownSourceIsNamed() throws Exception {
        Outcome outcome = start(Map.of("SPIFFE_OIDC_SOURCE", "ldap"));
        assertNotEquals(0, outcome.exitCode());
        String all = String.join("\n", outcome.lines());
        assertTrue(all.contains("spiffe-oidc.source"), all);
    }

    // ---- configuration values that used to pass until a bean used them --------------------------------

    private static final Map<String, String> FILE_SOURCE = Map.of("SPIFFE_OIDC_SOURCE", "file",
            "SPIFFE_OIDC_FILE_PATH", "/nonexistent/bundle.json");

    private static Map<String, String> fileSource(String... keyValues) {
        Map<String, String> env = new HashMap<>(FILE_SOURCE);
        for (int i = 0; i < keyValues.length; i += 2) {
            env.put(keyValues[i], keyValues[i + 1]);
        }
        return env;
    }

    private static void assertRefused(String expectedLine, Outcome outcome) {
        assertNotEquals(0, outcome.exitCode());
        assertEquals(List.of(expectedLine), outcome.lines());
    }

    @Test
    void oneHostAndPathPrefixForTwoIssuersIsOneLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // Federated entries are keyed by trust domain names, whose dots environment variable names cannot
        // carry: they live in a configuration file, as the federation docs describe.
        Path properties = dir.resolve("federation.properties");
        java.nio.file.Files.writeString(properties, "spiffe-oidc.federated.\"partner.example\".file.path=/nonexistent/p.json\n"
                + "spiffe-oidc.federated.\"partner.example\".path-prefix=/\n");
        assertRefused("Invalid configuration: spiffe-oidc.federated.\"partner.example\".path-prefix: host oidc.example.org"
                + " with path prefix \"/\" already serves trust domain example.org; give each issuer its own host name or"
                + " path prefix",
                start(fileSource("SPIFFE_OIDC_TRUST_DOMAIN", "example.org", "SPIFFE_OIDC_DOMAINS", "oidc.example.org",
                        "QUARKUS_CONFIG_LOCATIONS", properties.toUri().toString())));
    }

    /** A configuration file with the given federated properties, as the federation docs describe. */
    private static Map<String, String> federated(Path dir, String... lines) throws IOException {
        Path properties = dir.resolve("federation.properties");
        Files.writeString(properties, String.join("\n", lines) + "\n");
        return fileSource("SPIFFE_OIDC_TRUST_DOMAIN", "example.org", "SPIFFE_OIDC_DOMAINS", "oidc.example.org",
                "QUARKUS_CONFIG_LOCATIONS", properties.toUri().toString());
    }

    @Test
    void aFederatedIssuerWhoseHostIsNotAmongItsDomainsIsOneLine(@TempDir Path dir) throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.federated.\"partner.example\".issuer: host \"oidc.partner.example\""
                + " is not in spiffe-oidc.federated.\"partner.example\".domains (other.partner.example); every request for it"
                + " would be refused",
                start(federated(dir,
                        "spiffe-oidc.federated.\"partner.example\".file.path=/nonexistent/p.json",
                        "spiffe-oidc.federated.\"partner.example\".issuer=https://oidc.partner.example",
                        "spiffe-oidc.federated.\"partner.example\".domains=other.partner.example")));
    }

    @Test
    void aDomainListedTwiceForAFederatedIssuerIsOneLine(@TempDir Path dir) throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.federated.\"partner.example\".domains: \"oidc.partner.example\""
                + " is listed more than once",
                start(federated(dir,
                        "spiffe-oidc.federated.\"partner.example\".file.path=/nonexistent/p.json",
                        "spiffe-oidc.federated.\"partner.example\".domains=oidc.partner.example,OIDC.partner.example")));
    }

    @Test
    void aBundleEndpointOnAnOidcDocumentPathIsOneLine() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.bundle-endpoint.path: \"/keys\" is already an OIDC document path"
                + " of trust domain example.org on host oidc.example.org; give the bundle endpoint a path of its own",
                start(fileSource("SPIFFE_OIDC_TRUST_DOMAIN", "example.org", "SPIFFE_OIDC_DOMAINS", "oidc.example.org",
                        "SPIFFE_OIDC_BUNDLE_ENDPOINT_PATH", "/keys")));
    }

    @Test
    void aStaticIssuerWithoutItsStoreIsOneLine() throws Exception {
        // Target names are map keys; the environment spells spiffe-oidc.target."aws".type as below.
        assertRefused("Invalid configuration: spiffe-oidc.target.\"aws\".s3.bucket: required with type s3",
                start(fileSource("SPIFFE_OIDC_ISSUER", "https://oidc.example.org/td", "SPIFFE_OIDC_JWKS_URI",
                        "https://oidc.example.org/td/keys", "SPIFFE_OIDC_TARGET__AWS__TYPE", "s3",
                        "SPIFFE_OIDC_TARGET__AWS__PREFIX", "td/", "SPIFFE_OIDC_TARGET__AWS__S3_REGION", "eu-west-1")));
    }

    @Test
    void aProtocolBelowTls12IsOneLine() throws Exception {
        Outcome outcome = start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org", "QUARKUS_TLS_PUBLIC_PROTOCOLS", "TLSv1.3,TLSv1.1"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        assertTrue(outcome.lines().get(0).startsWith("Invalid configuration: quarkus.tls.public.protocols: TLSv1.1 is below TLS 1.2"),
                outcome.lines().get(0));
    }

    @Test
    void anInsecureCipherSuiteIsOneLine() throws Exception {
        Outcome outcome = start(
                fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org", "QUARKUS_TLS_PUBLIC_CIPHER_SUITES", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        assertTrue(outcome.lines().get(0).startsWith("Invalid configuration: quarkus.tls.public.cipher-suites:"
                + " TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is refused"), outcome.lines().get(0));
    }

    @Test
    void aGroupTheEngineCannotDoIsOneLine() throws Exception {
        Outcome outcome = start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org", "SPIFFE_OIDC_TLS_GROUPS", "X25519MLKEM768,x25519",
                "SPIFFE_OIDC_TLS_NATIVE_ENGINE", "false"));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        assertTrue(outcome.lines().get(0).startsWith("Invalid configuration: spiffe-oidc.tls.groups: X25519MLKEM768 is not supported"
                + " by the JDK TLS engine"), outcome.lines().get(0));
    }

    @Test
    void theAgentsSvidBesidePlainHttpIsOneLine() throws Exception {
        // The plain-http profile enables plain HTTP, which a certificate from the agent would not protect.
        Outcome outcome = start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org", "SPIFFE_OIDC_TLS_SERVING_CERTIFICATE", "workload-api",
                "SPIFFE_OIDC_TLS_WORKLOAD_API_SOCKET", "/run/spire/agent.sock"));
        assertRefused("Invalid configuration: quarkus.http.insecure-requests: must be disabled with"
                + " spiffe-oidc.tls.serving-certificate=workload-api (the HTTPS listener is the only one; use the default"
                + " prod profile)", outcome);
    }

    @Test
    void aMalformedIssuerIsOneLine() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.issuer: \"https://exa mple.com\" is not a URL"
                + " (" + jdkUriProblem("https://exa mple.com") + ")", start(fileSource("SPIFFE_OIDC_ISSUER", "https://exa mple.com")));
    }

    @Test
    void aMalformedJwksUriIsOneLine() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.jwks-uri: \"https://keys.example.org/a b\" is not a URL"
                + " (Illegal character in path at index 26)",
                start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org",
                        "SPIFFE_OIDC_JWKS_URI", "https://keys.example.org/a b")));
    }

    @Test
    void anIssuerHostOutsideTheDomainsIsRefused() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.issuer: host \"oidc.example.com\" is not in spiffe-oidc.domains"
                + " (other.example.com); every request for it would be refused",
                start(fileSource(
                        "SPIFFE_OIDC_ISSUER", "https://oidc.example.com", "SPIFFE_OIDC_DOMAINS", "other.example.com")));
    }

    @Test
    void aDomainListedTwiceIsRefused() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.domains: \"oidc.example.org\" is listed more than once",
                start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org,localhost,OIDC.example.org")));
    }

    @Test
    void aMalformedDomainIsRefused() throws Exception {
        assertRefused("Invalid configuration: spiffe-oidc.domains: \"oidc.example.org:8443\" is not a host name"
                + " (no scheme, port or path)", start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org:8443")));
    }

    @Test
    void withoutTheServicesTransportTheRequestHeadDeadlineCannotBeAppliedAndStartUpStops() throws Exception {
        assertRefused("Invalid configuration: quarkus.vertx.prefer-native-transport: must stay true;"
                + " spiffe-oidc.request-head-timeout is applied through the transport Vert.x looks up only then (the JDK's"
                + " where no native one loads)",
                start(fileSource("SPIFFE_OIDC_DOMAINS", "oidc.example.org",
                        "QUARKUS_VERTX_PREFER_NATIVE_TRANSPORT", "false")));
    }

    // ---- the HTTPS certificate files, checked before the TLS registry loads them -----------------------

    private static final String ALTERNATIVE = ", or set QUARKUS_PROFILE=plain-http to serve plain HTTP behind a proxy"
            + " that terminates TLS";
    private static final String CERT = "quarkus.tls.public.key-store.pem.0.cert: ";
    private static final String PAIR_FIX = "; set QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT and"
            + " QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY to a matching, valid pair" + ALTERNATIVE;

    @TempDir
    static Path pki;

    private static TestPki ca;
    private static Path goodCert;
    private static Path goodKey;

    @BeforeAll
    static void issueCertificates() throws IOException {
        // Readable by every user, for the case that runs the service as an unprivileged one.
        Files.setPosixFilePermissions(pki, PosixFilePermissions.fromString("rwxr-xr-x"));
        ca = TestPki.newCa();
        goodCert = pki.resolve("tls.crt");
        goodKey = pki.resolve("tls.key");
        ca.issue("good").writeTo(goodCert, goodKey);
    }

    /** The production profile (HTTPS only) with the given files and an otherwise valid configuration. */
    private static Map<String, String> https(Path cert, Path key, String... more) {
        Map<String, String> env = fileSource("SPIFFE_OIDC_DOMAINS", "localhost");
        env.put("QUARKUS_PROFILE", "prod");
        env.put("QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT", cert.toString());
        env.put("QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY", key.toString());
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    private static String missing(String property, String what, Path file, String variable) {
        return property + what + " file " + file + " does not exist; set " + variable + " to the PEM " + what + " file"
                + ALTERNATIVE;
    }

    @Test
    void aMissingCertificateIsOneLine() throws Exception {
        Path cert = pki.resolve("absent.crt");
        assertRefused("Invalid configuration: " + missing(CERT, "certificate", cert, "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT"),
                start(https(cert, goodKey)));
    }

    @Test
    void theDefaultCertificatePathsAreNamedWhenNothingIsMounted() throws Exception {
        Map<String, String> env = fileSource("SPIFFE_OIDC_DOMAINS", "localhost", "QUARKUS_PROFILE", "prod");
        assertRefused("Invalid configuration: "
                + missing(CERT, "certificate", Path.of("/var/run/tls/tls.crt"), "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT") + "; "
                + missing("quarkus.tls.public.key-store.pem.0.key: ", "private key", Path.of("/var/run/tls/tls.key"),
                        "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY"),
                start(env));
    }

    @Test
    void aMissingKeyIsOneLine() throws Exception {
        Path key = pki.resolve("absent.key");
        assertRefused("Invalid configuration: " + missing("quarkus.tls.public.key-store.pem.0.key: ", "private key", key,
                "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY"), start(https(goodCert, key)));
    }

    @Test
    void anUnreadableCertificateIsOneLine() throws Exception {
        Path cert = pki.resolve("unreadable.crt");
        Files.copy(goodCert, cert);
        Files.setPosixFilePermissions(cert, PosixFilePermissions.fromString("---------"));
        Path key = pki.resolve("readable.key");
        Files.copy(goodKey, key);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        String expected = "Invalid configuration: " + CERT + "certificate file " + cert
                + " cannot be read (permission denied); set QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT to the PEM certificate file"
                + ALTERNATIVE;
        if (!"root".equals(System.getProperty("user.name"))) {
            assertRefused(expected, start(https(cert, key)));
            return;
        }
        // Root reads any file, so the service runs as nobody, from a copy of the application it can read.
        Path app = pki.resolve("app");
        copyTree(Path.of("target/quarkus-app"), app);
        assertRefused(expected, start(https(cert, key), List.of("setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups"), app.resolve("quarkus-run.jar")));
    }

    @Test
    void aFileThatIsNotPemIsOneLine() throws Exception {
        Path cert = pki.resolve("not-pem.crt");
        Files.writeString(cert, "this is not a certificate\n");
        Outcome outcome = start(https(cert, goodKey));
        assertNotEquals(0, outcome.exitCode());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        String line = outcome.lines().get(0);
        String start = "Invalid configuration: " + CERT + cert + " with key " + goodKey
                + " cannot be served: not a PEM certificate and private key (";
        assertTrue(line.startsWith(start) && line.endsWith(")" + PAIR_FIX), line);
    }

    @Test
    void anExpiredCertificateIsOneLine() throws Exception {
        Instant notAfter = Instant.now().minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        Path cert = pki.resolve("expired.crt");
        Path key = pki.resolve("expired.key");
        ca.issue("expired", notAfter.minus(Duration.ofDays(30)), notAfter).writeTo(cert, key);
        assertRefused("Invalid configuration: " + CERT + cert + " with key " + key + " cannot be served: certificate"
                + " CN=expired expired on " + notAfter + PAIR_FIX, start(https(cert, key)));
    }

    @Test
    void aCertificateNotYetValidIsOneLine() throws Exception {
        Instant notBefore = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        Path cert = pki.resolve("future.crt");
        Path key = pki.resolve("future.key");
        ca.issue("future", notBefore, notBefore.plus(Duration.ofDays(30))).writeTo(cert, key);
        assertRefused("Invalid configuration: " + CERT + cert + " with key " + key + " cannot be served: certificate"
                + " CN=future is not valid before " + notBefore + PAIR_FIX, start(https(cert, key)));
    }

    @Test
    void aKeyFromAnotherPairNeverGivesAReadyService() throws Exception {
        Path otherCert = pki.resolve("other.crt");
        Path otherKey = pki.resolve("other.key");
        ca.issue("other").writeTo(otherCert, otherKey);
        assertRefused("Invalid configuration: " + CERT + goodCert + " with key " + otherKey + " cannot be served: the"
                + " private key does not belong to certificate CN=good" + PAIR_FIX, start(https(goodCert, otherKey)));
    }

    @Test
    void configurationAndCertificateProblemsAreReportedTogether() throws Exception {
        Path cert = pki.resolve("absent.crt");
        assertRefused("Invalid configuration: spiffe-oidc.issuer: \"https://exa mple.com\" is not a URL"
                + " (" + jdkUriProblem("https://exa mple.com") + "); "
                + missing(CERT, "certificate", cert, "QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT"),
                start(https(cert, goodKey, "SPIFFE_OIDC_ISSUER", "https://exa mple.com")));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                Files.copy(source, target);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                        Files.isDirectory(source) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** The reason and index of the JDK's own URI parser, which JDK releases word and count differently. */
    private static String jdkUriProblem(String value) {
        try {
            new java.net.URI(value);
            throw new AssertionError("the JDK accepts " + value);
        } catch (java.net.URISyntaxException e) {
            return e.getReason() + " at index " + e.getIndex();
        }
    }
}
