package io.spiffeoidc.spire;

import com.fasterxml.jackson.databind.JsonNode;
import io.spiffeoidc.spire.SpireSettings.HealthChecks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Maps each key of SPIRE's oidc-discovery-provider file onto this service's own properties. Only rules
 * that exist because of SPIRE's file format live here (one source section, one listener, domains
 * required, keys that cannot apply); everything the properties themselves must satisfy is checked by the
 * service's normal configuration check, whichever reader supplied them.
 */
final class SpireKeys {

    static final int DEFAULT_HEALTH_PORT = 8008;
    /** SPIRE's default for serving_cert_file.addr. */
    private static final String DEFAULT_TLS_ADDR = ":443";
    private static final String ACME_REFUSAL = "not supported: this service does not obtain certificates itself; use"
            + " serving_cert_file (for example the service CA's or cert-manager's secret), serving_cert_source"
            + " \"workload_api\" (the agent's X509-SVID) or insecure_addr/listen_socket_path behind a proxy that terminates TLS";

    private static final Map<String, String> LOG_LEVELS = Map.of("trace", "TRACE", "debug", "DEBUG", "info", "INFO",
            "warn", "WARN", "warning", "WARN", "error", "ERROR", "fatal", "FATAL", "panic", "FATAL");

    private final Map<String, String> properties = new LinkedHashMap<>();
    private final List<Notice> notices = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private Optional<HealthChecks> healthChecks = Optional.empty();
    private Optional<String> profile = Optional.empty();

    private SpireKeys() {
    }

    /** The settings of {@code root}, or the problems that stop start-up (each one names the key). */
    static SpireSettings map(Path file, JsonNode root) throws SpireConfigException {
        if (!root.isObject()) {
            throw new SpireConfigException(file, List.of("the file must hold one JSON object"));
        }
        SpireKeys keys = new SpireKeys();
        Section top = new Section("", root, keys.problems);
        keys.read(top);
        List<String> unknown = new ArrayList<>();
        top.unknownKeys(unknown);
        // SPIRE ignores unknown keys; refusing them would take the pod down the day a newer operator writes one.
        unknown.forEach(key -> keys.notices.add(new Notice(Notice.Level.WARN,
                "SPIRE configuration " + file + ": unknown key \"" + Section.printable(key) + "\" ignored")));
        if (!keys.problems.isEmpty()) {
            throw new SpireConfigException(file, keys.problems);
        }
        return new SpireSettings(file, keys.profile, Map.copyOf(keys.properties), keys.healthChecks,
                List.copyOf(keys.notices));
    }

    private void read(Section top) {
        domains(top);
        top.string("jwt_issuer").ifPresent(v -> set("spiffe-oidc.issuer", v));
        top.string("jwks_uri").ifPresent(v -> set("spiffe-oidc.jwks-uri", v));
        top.string("server_path_prefix").ifPresent(v -> set("spiffe-oidc.path-prefix", v));
        // SPIRE leaves "use" out unless asked; so does this service when it reads SPIRE's file.
        set("spiffe-oidc.key-use", top.bool("set_key_use") ? "sig" : "none");
        if (top.bool("allow_insecure_scheme")) {
            set("spiffe-oidc.allow-insecure-scheme", "true");
        }
        source(top);
        listener(top);
        top.section("health_checks").ifPresent(this::healthChecks);
        logging(top);
        top.section("tls_config").ifPresent(this::tlsConfig);
    }

    private void domains(Section top) {
        int before = problems.size();
        List<String> domains = top.strings("domains").orElse(List.of());
        if (problems.size() > before) {
            return;
        }
        if (domains.isEmpty()) {
            top.problem("domains", "required: the host names the provider is served under");
            return;
        }
        // SPIRE drops repeated names; SmallRye splits lists on commas, so a comma inside a name stays one name.
        set("spiffe-oidc.domains", new LinkedHashSet<>(domains).stream().map(d -> d.replace(",", "\\,"))
                .collect(Collectors.joining(",")));
    }

    private void source(Section top) {
        List<String> present = new ArrayList<>();
        top.section("workload_api").ifPresent(section -> {
            present.add("workload_api");
            set("spiffe-oidc.source", "workload-api");
            section.string("socket_path").ifPresent(v -> set("spiffe-oidc.workload-api.socket", v));
            section.string("trust_domain").ifPresent(v -> set("spiffe-oidc.trust-domain", v));
            duration(section, "poll_interval").ifPresent(ignored -> notices.add(new Notice(Notice.Level.INFO,
                    "workload_api.poll_interval is not used: the agent streams every bundle change, which is"
                            + " served as it arrives")));
            namedPipe(section);
        });
        top.section("server_api").ifPresent(section -> {
            present.add("server_api");
            set("spiffe-oidc.source", "server-api");
            section.string("address").ifPresent(v -> set("spiffe-oidc.server-api.socket", v));
            duration(section, "poll_interval").ifPresent(v -> set("spiffe-oidc.server-api.poll-interval", v.toString()));
            namedPipe(section);
        });
        top.section("file").ifPresent(section -> {
            present.add("file");
            set("spiffe-oidc.source", "file");
            section.string("path").ifPresent(v -> set("spiffe-oidc.file.path", v));
            duration(section, "poll_interval").ifPresent(v -> set("spiffe-oidc.file.poll-interval", v.toString()));
        });
        if (present.isEmpty()) {
            problems.add("exactly one of the server_api, workload_api or file sections must be configured");
        } else if (present.size() > 1) {
            problems.add(String.join(", ", present) + ": only one source section may be configured");
        }
    }

    private void listener(Section top) {
        List<String> present = new ArrayList<>();
        if (top.has("acme")) {
            present.add("acme");
            top.problem("acme", ACME_REFUSAL);
        }
        top.section("experimental").ifPresent(experimental -> {
            if (experimental.has("listen_named_pipe_name")) {
                experimental.problem("listen_named_pipe_name", "Windows named pipes are not supported (Linux only)");
            }
        });
        top.section("serving_cert_file").ifPresent(section -> {
            present.add("serving_cert_file");
            certFile(section);
        });
        top.section("serving_cert_source").ifPresent(section -> servingCertSource(top, section, present));
        top.string("insecure_addr").ifPresent(addr -> {
            present.add("insecure_addr");
            address(top, "insecure_addr", addr, "quarkus.http.port");
            plainHttp();
        });
        top.string("listen_socket_path").ifPresent(path -> {
            present.add("listen_socket_path");
            set("quarkus.http.domain-socket", path);
            set("quarkus.http.domain-socket-enabled", "true");
            set("quarkus.http.host-enabled", "false");
            plainHttp();
        });
        if (present.isEmpty()) {
            problems.add("one of serving_cert_file, serving_cert_source, insecure_addr or listen_socket_path must be configured");
        } else if (present.size() > 1) {
            problems.add(String.join(", ", present) + ": only one listener may be configured");
        }
    }

    /** The files of serving_cert_file, or of serving_cert_source "cert_file" (the same keys). */
    private void certFile(Section section) {
        Optional<String> cert = section.string("cert_file_path");
        Optional<String> key = section.string("key_file_path");
        if (cert.isEmpty()) {
            section.problem("cert_file_path", "required in the " + section.name("").replaceAll("\\.$", "") + " section");
        }
        if (key.isEmpty()) {
            section.problem("key_file_path", "required in the " + section.name("").replaceAll("\\.$", "") + " section");
        }
        cert.ifPresent(v -> set("quarkus.tls.public.key-store.pem.0.cert", v));
        key.ifPresent(v -> set("quarkus.tls.public.key-store.pem.0.key", v));
        address(section, "addr", section.string("addr").orElse(DEFAULT_TLS_ADDR), "quarkus.http.ssl-port");
        set("quarkus.http.insecure-requests", "disabled");
        duration(section, "file_sync_interval").ifPresent(v -> set("spiffe-oidc.tls.reload-period", v.toString()));
    }

    /**
     * serving_cert_source "label" { ... }, SPIRE's labelled section (HCL's JSON form: an object keyed by the label):
     * exactly one source. "workload_api" serves the agent's X509-SVID; "cert_file" is serving_cert_file under
     * another name; "acme" is refused as the top-level acme section is.
     */
    private void servingCertSource(Section top, Section sources, List<String> present) {
        List<String> labels = sources.keys();
        if (labels.size() != 1) {
            present.add("serving_cert_source");
            top.problem("serving_cert_source", "exactly one source must be configured (workload_api, cert_file or acme), not "
                    + labels.size());
            labels.forEach(sources::has);
            return;
        }
        String label = labels.get(0);
        present.add("serving_cert_source \"" + Section.printable(label) + "\"");
        switch (label) {
            case "workload_api" -> sources.section(label).ifPresent(section -> {
                set("spiffe-oidc.tls.serving-certificate", "workload-api");
                // The Workload API source's socket, read by source() already, unless the section names its own.
                Optional<String> socket = section.string("socket_path")
                        .or(() -> Optional.ofNullable(properties.get("spiffe-oidc.workload-api.socket")));
                socket.ifPresent(v -> set("spiffe-oidc.tls.workload-api-socket", v));
                address(section, "addr", section.string("addr").orElse(DEFAULT_TLS_ADDR), "quarkus.http.ssl-port");
                set("quarkus.http.insecure-requests", "disabled");
                namedPipe(section);
            });
            case "cert_file" -> sources.section(label).ifPresent(this::certFile);
            case "acme" -> {
                sources.has(label);
                sources.problem(label, ACME_REFUSAL);
            }
            default -> {
                sources.has(label);
                sources.problem(label, "unknown serving certificate source (workload_api, cert_file or acme)");
            }
        }
    }

    /** No certificate at all: the plain-http profile, in which the production certificate paths are not set. */
    private void plainHttp() {
        profile = Optional.of("plain-http");
        set("quarkus.http.insecure-requests", "enabled");
    }

    /** "host:port", ":port" or "[v6]:port", as Go's net package writes listen addresses. */
    private void address(Section section, String key, String value, String portProperty) {
        int colon = value.lastIndexOf(':');
        String host = colon < 0 ? "" : value.substring(0, colon);
        String port = colon < 0 ? "" : value.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) > 65535) {
            section.problem(key, "\"" + Section.printable(value) + "\" is not a listen address (host:port or :port)");
            return;
        }
        set("quarkus.http.host", host.isEmpty() ? "0.0.0.0" : host);
        set(portProperty, port);
    }

    private void healthChecks(Section section) {
        int port = section.port("bind_port").filter(p -> p > 0).orElse(DEFAULT_HEALTH_PORT);
        if (port > 65535) {
            section.problem("bind_port", port + " is not a port number");
        }
        String ready = section.string("ready_path").orElse("/ready");
        String live = section.string("live_path").orElse("/live");
        for (String key : List.of("ready_path", "live_path")) {
            String path = key.equals("ready_path") ? ready : live;
            if (!path.startsWith("/")) {
                section.problem(key, "\"" + Section.printable(path) + "\" must start with '/'");
            }
        }
        if (ready.equals(live)) {
            section.problem("live_path", "must differ from ready_path");
        }
        healthChecks = Optional.of(new HealthChecks(port, ready, live));
    }

    private void logging(Section top) {
        top.string("log_level").ifPresent(level -> {
            String mapped = LOG_LEVELS.get(level.toLowerCase(Locale.ROOT));
            if (mapped == null) {
                top.problem("log_level", "\"" + Section.printable(level) + "\" is not one of debug, info, warn, error");
            } else {
                set("quarkus.log.level", mapped);
            }
        });
        Optional<String> path = top.string("log_path");
        top.string("log_format").ifPresent(format -> {
            switch (format.toLowerCase(Locale.ROOT)) {
                case "text" -> {
                }
                case "json" -> {
                    // One handler is active: the file with log_path, the console otherwise.
                    String handler = path.isPresent() ? "quarkus.log.file." : "quarkus.log.console.";
                    set(handler + "format", "%s%n");
                    set(handler + "filter", JsonLogLines.NAME);
                }
                default -> top.problem("log_format", "\"" + Section.printable(format) + "\" is not text or json");
            }
        });
        path.ifPresent(file -> {
            set("quarkus.log.file.enabled", "true");
            set("quarkus.log.file.path", file);
            set("quarkus.log.console.enabled", "false");
        });
        if (top.bool("log_requests")) {
            set("quarkus.http.access-log.enabled", "true");
        }
        fileRotation(top, path);
    }

    /** SPIRE's log_file_rotation defaults for a key left out of the block. */
    static final int DEFAULT_ROTATION_SIZE_MB = 100;
    static final int DEFAULT_ROTATED_FILES = 7;
    /** The most rotated files kept, for max_files = 0 (SPIRE: all) or above it. */
    static final int MAX_ROTATED_FILES = 1000;

    /**
     * SPIRE's log_file_rotation: the file at log_path moves aside when it exceeds max_size_mb (default 100,
     * 0 never on size) and max_files rotated files are kept (default 7, 0 all of them). Without the block
     * SPIRE never rotates, so neither does this service: Quarkus's own default would rotate at 10 MiB and at
     * every start. Rotated files are numbered here (log_path.1 the newest) instead of timestamped.
     */
    private void fileRotation(Section top, Optional<String> path) {
        Optional<Section> block = top.section("log_file_rotation");
        if (block.isEmpty()) {
            path.ifPresent(ignored -> set("quarkus.log.file.rotation.enabled", "false"));
            return;
        }
        Optional<Integer> maxSizeMb = block.get().count("max_size_mb");
        Optional<Integer> maxFiles = block.get().count("max_files");
        if (path.isEmpty()) {
            top.problem("log_file_rotation", "requires log_path (only the log file is rotated)");
            return;
        }
        int sizeMb = maxSizeMb.orElse(DEFAULT_ROTATION_SIZE_MB);
        if (sizeMb == 0) {
            // No size bound: SPIRE does not rotate on its own, and max_files applies only when a file rotates.
            set("quarkus.log.file.rotation.enabled", "false");
            return;
        }
        int files = maxFiles.orElse(DEFAULT_ROTATED_FILES);
        if (files == 0 || files > MAX_ROTATED_FILES) {
            // JBoss LogManager never rotates with no backup index, and renumbers every kept file on each
            // rotation: keeping all of them is not available, a large bound is the nearest.
            notices.add(new Notice(Notice.Level.WARN, "log_file_rotation.max_files = " + files + ": at most "
                    + MAX_ROTATED_FILES + " rotated files are kept (" + Section.printable(path.get()) + ".1 to ." + MAX_ROTATED_FILES
                    + "), the oldest beyond that is deleted"));
            files = MAX_ROTATED_FILES;
        }
        set("quarkus.log.file.rotation.enabled", "true");
        set("quarkus.log.file.rotation.max-file-size", sizeMb + "M");
        set("quarkus.log.file.rotation.max-backup-index", Integer.toString(files));
        // The file found at start is appended to, as SPIRE opens log_path; Quarkus would move it aside first.
        set("quarkus.log.file.rotation.rotate-on-boot", "false");
    }

    /** Go's curve names and the aliases SPIRE accepts (any case), and their TLS codepoints, by IANA group name. */
    private static final Map<String, String> SPIRE_CURVES = Map.ofEntries(Map.entry("curvep256", "secp256r1"),
            Map.entry("p-256", "secp256r1"), Map.entry("p256", "secp256r1"), Map.entry("secp256r1", "secp256r1"),
            Map.entry("23", "secp256r1"), Map.entry("curvep384", "secp384r1"), Map.entry("p-384", "secp384r1"),
            Map.entry("p384", "secp384r1"), Map.entry("secp384r1", "secp384r1"), Map.entry("24", "secp384r1"),
            Map.entry("curvep521", "secp521r1"), Map.entry("p-521", "secp521r1"), Map.entry("p521", "secp521r1"),
            Map.entry("secp521r1", "secp521r1"), Map.entry("25", "secp521r1"), Map.entry("x25519", "x25519"),
            Map.entry("29", "x25519"), Map.entry("x25519mlkem768", "X25519MLKEM768"), Map.entry("4588", "X25519MLKEM768"),
            Map.entry("secp256r1mlkem768", "SecP256r1MLKEM768"), Map.entry("4587", "SecP256r1MLKEM768"),
            Map.entry("secp384r1mlkem1024", "SecP384r1MLKEM1024"), Map.entry("4589", "SecP384r1MLKEM1024"));

    /**
     * SPIRE's tls_config (min_tls_version, cipher_suites, curve_preferences) as the public listener's protocols,
     * suites and groups. Go's names are IANA's, but for the two ChaCha20 suites, which Go spells without their
     * hash. Whether the values are acceptable is the normal configuration check's business.
     */
    private void tlsConfig(Section section) {
        section.string("min_tls_version").ifPresent(version -> {
            switch (version.trim().toLowerCase(Locale.ROOT)) {
                case "versiontls12" -> set("quarkus.tls.public.protocols", "TLSv1.3,TLSv1.2");
                case "versiontls13" -> set("quarkus.tls.public.protocols", "TLSv1.3");
                case "versiontls10", "versiontls11" -> section.problem("min_tls_version", "\"" + Section.printable(version)
                        + "\" is below TLS 1.2; use VersionTLS12 or VersionTLS13");
                default -> section.problem("min_tls_version", "\"" + Section.printable(version)
                        + "\" is not VersionTLS12 or VersionTLS13");
            }
        });
        section.strings("cipher_suites").ifPresent(suites -> {
            List<String> names = suites.stream().map(String::trim).filter(name -> !name.isEmpty())
                    .map(name -> name.endsWith("_CHACHA20_POLY1305") ? name + "_SHA256" : name).toList();
            if (!names.isEmpty()) {
                set("quarkus.tls.public.cipher-suites", String.join(",", names));
            }
        });
        section.strings("curve_preferences").ifPresent(curves -> {
            List<String> groups = new ArrayList<>();
            for (String curve : curves) {
                if (curve.isBlank()) {
                    continue;
                }
                String group = SPIRE_CURVES.get(curve.trim().toLowerCase(Locale.ROOT));
                if (group == null) {
                    section.problem("curve_preferences", "\"" + Section.printable(curve) + "\" is not a curve (CurveP256,"
                            + " CurveP384, CurveP521, X25519, X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024)");
                    return;
                }
                groups.add(group);
            }
            if (!groups.isEmpty()) {
                set("spiffe-oidc.tls.groups", String.join(",", groups));
            }
        });
    }

    private static void namedPipe(Section source) {
        source.section("experimental").ifPresent(experimental -> {
            if (experimental.has("named_pipe_name")) {
                experimental.problem("named_pipe_name", "Windows named pipes are not supported (Linux only)");
            }
        });
    }

    /** A Go duration; zero or negative means SPIRE's default, which is also this service's default. */
    private Optional<Duration> duration(Section section, String key) {
        Optional<String> text = section.string(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Optional<Duration> value = GoDuration.parse(text.get());
        if (value.isEmpty()) {
            section.problem(key, "\"" + Section.printable(text.get()) + "\" is not a duration (for example 10s, 1m30s)");
        }
        return value.filter(d -> !d.isNegative() && !d.isZero());
    }

    private void set(String property, String value) {
        properties.put(property, value);
    }
}
