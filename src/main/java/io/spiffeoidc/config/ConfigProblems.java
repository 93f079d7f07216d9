package io.spiffeoidc.config;

import io.spiffeoidc.bundle.BundleParser;
import io.spiffeoidc.bundle.CacheLifetime;
import io.spiffeoidc.bundle.PublicationRules;
import io.spiffeoidc.config.ProviderConfig.KeyUseSetting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The one place where configuration is parsed and checked. Each value is converted once into its typed
 * form and every rule between values runs here, before any component is built. Each problem is one line
 * that starts with the property name, so the operator knows what to change without reading code. It
 * works on the mapped values only, so a value is checked the same way whichever source supplied it.
 */
public final class ConfigProblems {

    /** Longer than this and relying parties may keep verifying with keys SPIRE has already retired. */
    static final Duration MAX_CACHE_MAX_AGE = Duration.ofHours(1);

    /** A short source blip must not take every replica out of the load balancer. */
    private static final Duration MIN_STALENESS = Duration.ofMinutes(3);

    private final ProviderConfig config;
    private final List<String> problems = new ArrayList<>();

    private ConfigProblems(ProviderConfig config) {
        this.config = config;
    }

    /** The validated settings, or every problem found. */
    public record Validation(Optional<ProviderSettings> settings, List<String> problems) {
    }

    public static List<String> of(ProviderConfig config, QuarkusSettings quarkus) {
        return validate(config, quarkus).problems();
    }

    public static Validation validate(ProviderConfig config, QuarkusSettings quarkus) {
        return new ConfigProblems(config).run(quarkus);
    }

    private Validation run(QuarkusSettings quarkus) {
        IssuerRules issuerRules = new IssuerRules(config.allowInsecureScheme(), problems);
        IssuerRules.Configured primaryConfigured = IssuerRules.Configured.primary(config);
        Optional<TrustDomain> trustDomain = issuerRules.trustDomain(primaryConfigured);
        Optional<SourceSettings> source = source(trustDomain);
        Optional<Issuer> primary = issuerRules.issuer(primaryConfigured, trustDomain);
        checkCacheLifetime();
        if (config.keysWarnThreshold() < 1 || config.keysWarnThreshold() > BundleParser.MAX_KEYS) {
            problems.add("spiffe-oidc.keys-warn-threshold: " + config.keysWarnThreshold() + " is outside 1.."
                    + BundleParser.MAX_KEYS + " (a bundle with more keys is refused anyway)");
        }
        Duration headTimeout = config.requestHeadTimeout();
        if (headTimeout.compareTo(Duration.ofSeconds(1)) < 0 || headTimeout.compareTo(Duration.ofMinutes(5)) > 0) {
            problems.add("spiffe-oidc.request-head-timeout: " + headTimeout + " is outside 1s..5m");
        }
        Duration reload = config.tls().reloadPeriod();
        if (!reload.isZero()) {
            checkInterval("spiffe-oidc.tls.reload-period", reload);
        }
        Optional<Path> svidSocket = svidSocket(quarkus);
        Optional<TlsParameters> tlsParameters = TlsParameters.check(quarkus.publicTlsProtocols(),
                quarkus.publicTlsCipherSuites(), config.tls().groups(), problems);
        if (config.missingTrustDomainGracePeriod().isNegative()) {
            problems.add("spiffe-oidc.missing-trust-domain-grace-period: must not be negative");
        }
        List<Issuer> issuers = new ArrayList<>();
        primary.ifPresent(issuers::add);
        issuers.addAll(FederationProblems.check(config, issuerRules, trustDomain, primary, problems));
        EndpointProblems.check(issuers, problems);
        List<Target> targets = TargetRules.check(config, issuers, problems);
        config.stalenessThreshold().ifPresent(threshold -> {
            if (threshold.isNegative() || threshold.isZero()) {
                problems.add("spiffe-oidc.staleness-threshold: must be positive");
            }
        });
        problems.addAll(ofQuarkus(quarkus));
        if (!problems.isEmpty()) {
            return new Validation(Optional.empty(), List.copyOf(problems));
        }
        SourceSettings validSource = source.orElseThrow();
        ProviderSettings settings = new ProviderSettings(validSource, issuers, config.keyUse() == KeyUseSetting.SIG,
                new PublicationRules(cacheLifetime(config), config.keysWarnThreshold()), config.trustForwardedHeaders(),
                config.allowInsecureScheme(), headTimeout, publicPorts(quarkus, issuers),
                config.stalenessThreshold().orElseGet(() -> defaultThreshold(validSource.pollInterval())),
                config.missingTrustDomainGracePeriod(),
                new TlsSettings(reload, config.tls().nativeEngine(), quarkus.publicCertFile(), quarkus.publicKeyFile(),
                        svidSocket, tlsParameters.orElseThrow()),
                targets);
        return new Validation(Optional.of(settings), List.of());
    }

    /**
     * The agent's socket when the HTTPS certificate is its X509-SVID. Exactly one certificate source: files named
     * by the operator are refused with it, and so is plain HTTP, which the SVID would not protect.
     */
    private Optional<Path> svidSocket(QuarkusSettings quarkus) {
        if (config.tls().servingCertificate() != ProviderConfig.ServingCertificate.WORKLOAD_API) {
            return Optional.empty();
        }
        String selected = ServingCertificateSelection.PROPERTY + "=workload-api";
        if (quarkus.publicCertFile().isPresent() || quarkus.publicKeyFile().isPresent()) {
            problems.add(ServingCertificateSelection.PROPERTY + ": workload-api serves the agent's X509-SVID; unset"
                    + " quarkus.tls.public.key-store.pem.0.cert and .key (one certificate source only)");
        }
        if (quarkus.insecureRequests().map(v -> !v.equalsIgnoreCase("disabled")).orElse(true)) {
            problems.add("quarkus.http.insecure-requests: must be disabled with " + selected
                    + " (the HTTPS listener is the only one; use the default prod profile)");
        }
        Optional<String> socket = config.tls().workloadApiSocket().or(() -> config.workloadApi().socket())
                .filter(s -> !s.isBlank());
        String property = config.tls().workloadApiSocket().isPresent() || socket.isEmpty() ? "spiffe-oidc.tls.workload-api-socket"
                : "spiffe-oidc.workload-api.socket";
        return socket(property, socket, "required with " + selected + " (set spiffe-oidc.tls.workload-api-socket or"
                + " SPIFFE_ENDPOINT_SOCKET)");
    }

    private void checkCacheLifetime() {
        boolean inRange = checkMaxAge("spiffe-oidc.cache-max-age", Optional.of(config.cacheMaxAge()))
                & checkMaxAge("spiffe-oidc.cache-max-age-min", config.cacheMaxAgeMin())
                & checkMaxAge("spiffe-oidc.cache-max-age-max", config.cacheMaxAgeMax());
        if (inRange) {
            CacheLifetime lifetime = cacheLifetime(config);
            if (lifetime.shortest().compareTo(lifetime.longest()) > 0) {
                problems.add("spiffe-oidc.cache-max-age-min: " + lifetime.shortest().toSeconds() + " s is longer than "
                        + (config.cacheMaxAgeMax().isPresent() ? "spiffe-oidc.cache-max-age-max" : "spiffe-oidc.cache-max-age")
                        + " (" + lifetime.longest().toSeconds() + " s)");
            }
        }
    }

    private boolean checkMaxAge(String property, Optional<Duration> value) {
        if (value.isPresent() && (value.get().isNegative() || value.get().compareTo(MAX_CACHE_MAX_AGE) > 0)) {
            problems.add(property + ": " + value.get().toSeconds() + " s is outside 0.." + MAX_CACHE_MAX_AGE.toSeconds() + " s");
            return false;
        }
        return true;
    }

    /** The cache lifetime the configuration describes, defaults filled in. */
    static CacheLifetime cacheLifetime(ProviderConfig config) {
        return CacheLifetime.of(config.cacheMaxAge(), config.cacheMaxAgeMin(), config.cacheMaxAgeMax());
    }

    /** Five missed polls, but never less than three minutes. */
    static Duration defaultThreshold(Duration pollInterval) {
        Duration fivePolls = pollInterval.multipliedBy(5);
        return fivePolls.compareTo(MIN_STALENESS) > 0 ? fivePolls : MIN_STALENESS;
    }

    /** The threshold used when spiffe-oidc.staleness-threshold is not set. */
    static Duration defaultThreshold(ProviderConfig config) {
        return defaultThreshold(switch (config.source()) {
            case FILE -> config.file().pollInterval();
            case SERVER_API -> config.serverApi().pollInterval();
            case WORKLOAD_API -> Duration.ZERO;
        });
    }

    /** The ports a client may reach the service on, as far as the configuration says. */
    private static Set<Integer> publicPorts(QuarkusSettings quarkus, List<Issuer> issuers) {
        Set<Integer> ports = new TreeSet<>();
        quarkus.httpPort().ifPresent(ports::add);
        quarkus.httpsPort().ifPresent(ports::add);
        for (Issuer issuer : issuers) {
            issuer.issuer().ifPresent(url -> ports.add(url.port()));
            issuer.jwksUri().ifPresent(url -> ports.add(url.port()));
        }
        ports.removeIf(port -> port <= 0); // none named, or a listener on a port chosen at start
        return ports;
    }

    private static List<String> ofQuarkus(QuarkusSettings quarkus) {
        Map<String, Optional<String>> values = Map.of(
                "quarkus.http.proxy.proxy-address-forwarding", quarkus.proxyAddressForwarding(),
                "quarkus.tls.public.reload-period", quarkus.publicTlsReloadPeriod(),
                "quarkus.vertx.prefer-native-transport", quarkus.preferNativeTransport());
        return ofQuarkus(name -> values.getOrDefault(name, Optional.empty()));
    }

    /**
     * Quarkus settings that would undo guarantees of this service: its own forwarded-header handling would
     * let clients rewrite the host before the host check, its certificate reload would swap in key pairs
     * that were never checked, and without native-transport preference Vert.x never looks up the transport
     * that gives every listener its request-head deadline.
     */
    public static List<String> ofQuarkus(Function<String, Optional<String>> quarkusConfig) {
        List<String> problems = new ArrayList<>();
        if (quarkusConfig.apply("quarkus.http.proxy.proxy-address-forwarding").map(Boolean::parseBoolean).orElse(false)) {
            problems.add("quarkus.http.proxy.proxy-address-forwarding: must stay false;"
                    + " use spiffe-oidc.trust-forwarded-headers=true behind a proxy that sets forwarded headers");
        }
        if (quarkusConfig.apply("quarkus.tls.public.reload-period").isPresent()) {
            problems.add("quarkus.tls.public.reload-period: leave unset; spiffe-oidc.tls.reload-period reloads the"
                    + " certificate files and refuses broken ones");
        }
        if (quarkusConfig.apply("quarkus.vertx.prefer-native-transport").map(value -> !Boolean.parseBoolean(value))
                .orElse(false)) {
            problems.add("quarkus.vertx.prefer-native-transport: must stay true; spiffe-oidc.request-head-timeout is"
                    + " applied through the transport Vert.x looks up only then (the JDK's where no native one loads)");
        }
        return problems;
    }

    private Optional<SourceSettings> source(Optional<TrustDomain> trustDomain) {
        return switch (config.source()) {
            case FILE -> {
                Optional<Path> path = config.file().path();
                if (path.isEmpty()) {
                    problems.add("spiffe-oidc.file.path: required when spiffe-oidc.source=file");
                }
                boolean pollOk = checkInterval("spiffe-oidc.file.poll-interval", config.file().pollInterval());
                yield path.filter(p -> pollOk).map(p -> new SourceSettings.File(p, config.file().pollInterval()));
            }
            case WORKLOAD_API -> {
                Optional<Path> socket = socket("spiffe-oidc.workload-api.socket", config.workloadApi().socket(),
                        "required when spiffe-oidc.source=workload-api (or set SPIFFE_ENDPOINT_SOCKET)");
                Optional<TrustDomain> td = requireTrustDomain(trustDomain);
                yield socket.flatMap(s -> td.map(t -> new SourceSettings.WorkloadApi(s, t)));
            }
            case SERVER_API -> {
                Optional<Path> socket = socket("spiffe-oidc.server-api.socket", config.serverApi().socket(),
                        "required when spiffe-oidc.source=server-api");
                boolean pollOk = checkInterval("spiffe-oidc.server-api.poll-interval", config.serverApi().pollInterval());
                Optional<TrustDomain> td = requireTrustDomain(trustDomain);
                yield socket.filter(s -> pollOk)
                        .flatMap(s -> td.map(t -> new SourceSettings.ServerApi(s, t, config.serverApi().pollInterval())));
            }
        };
    }

    private Optional<TrustDomain> requireTrustDomain(Optional<TrustDomain> trustDomain) {
        if (config.trustDomain().isEmpty()) {
            problems.add("spiffe-oidc.trust-domain: required when spiffe-oidc.source="
                    + config.source().label() + " (selects the bundle to publish)");
        }
        return trustDomain;
    }

    private Optional<Path> socket(String property, Optional<String> socket, String whenMissing) {
        if (socket.isEmpty() || socket.get().isBlank()) {
            problems.add(property + ": " + whenMissing);
            return Optional.empty();
        }
        Optional<Path> path = UnixSocketAddress.parse(socket.get());
        if (path.isEmpty()) {
            problems.add(property + ": \"" + socket.get() + "\" is not a Unix socket (unix:///path, unix:/path or /path)");
        }
        return path;
    }

    private boolean checkInterval(String property, Duration interval) {
        if (interval.toMillis() < 100 || interval.compareTo(Duration.ofHours(1)) > 0) {
            problems.add(property + ": " + interval + " is outside 100ms..1h");
            return false;
        }
        return true;
    }
}
