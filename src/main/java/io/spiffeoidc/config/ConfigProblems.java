package io.spiffeoidc.config;

import io.spiffeoidc.bundle.BundleParser;
import io.spiffeoidc.bundle.CacheLifetime;
import io.spiffeoidc.bundle.PublicationRules;
import io.spiffeoidc.config.ProviderConfig.KeyUseSetting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
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

    public static List<String> of(ProviderConfig config) {
        return validate(config).problems();
    }

    public static Validation validate(ProviderConfig config) {
        return new ConfigProblems(config).run();
    }

    private Validation run() {
        Optional<TrustDomain> trustDomain = trustDomain();
        Optional<SourceSettings> source = source(trustDomain);
        boolean insecure = config.allowInsecureScheme();
        Optional<ConfiguredUrl> issuer = config.issuer().flatMap(v -> url("spiffe-oidc.issuer", v, insecure));
        Optional<ConfiguredUrl> jwksUri = config.jwksUri().flatMap(v -> url("spiffe-oidc.jwks-uri", v, insecure));
        Optional<HostSet> hosts = hosts(issuer);
        Optional<PathPrefix> prefix = PathPrefix.parse(config.pathPrefix());
        if (prefix.isEmpty()) {
            problems.add("spiffe-oidc.path-prefix: \"" + config.pathPrefix()
                    + "\" must start with '/' and contain only plain path segments");
        }
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
        if (config.missingTrustDomainGracePeriod().isNegative()) {
            problems.add("spiffe-oidc.missing-trust-domain-grace-period: must not be negative");
        }
        FederationProblems.check(config, problems);
        BundleEndpointProblems.check(IssuerSettings.all(config), problems);
        config.stalenessThreshold().ifPresent(threshold -> {
            if (threshold.isNegative() || threshold.isZero()) {
                problems.add("spiffe-oidc.staleness-threshold: must be positive");
            }
        });
        if (!problems.isEmpty()) {
            return new Validation(Optional.empty(), List.copyOf(problems));
        }
        SourceSettings validSource = source.orElseThrow();
        ProviderSettings settings = new ProviderSettings(validSource, trustDomain, issuer, jwksUri, hosts.orElseThrow(),
                prefix.orElseThrow(), config.keyUse() == KeyUseSetting.SIG, config.cacheMaxAge(),
                new PublicationRules(cacheLifetime(config), config.keysWarnThreshold()),
                config.trustForwardedHeaders(), insecure, headTimeout,
                config.stalenessThreshold().orElseGet(() -> defaultThreshold(validSource.pollInterval())),
                reload, config.tls().nativeEngine(), IssuerSettings.all(config), config.missingTrustDomainGracePeriod());
        return new Validation(Optional.of(settings), List.of());
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

    /**
     * Quarkus settings that would undo guarantees of this service: its own forwarded-header handling would
     * let clients rewrite the host before the host check, and its certificate reload would swap in key
     * pairs that were never checked.
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
        return problems;
    }

    private Optional<TrustDomain> trustDomain() {
        Optional<String> configured = config.trustDomain();
        Optional<TrustDomain> parsed = configured.flatMap(TrustDomain::parse);
        if (configured.isPresent() && parsed.isEmpty()) {
            problems.add("spiffe-oidc.trust-domain: \"" + configured.get()
                    + "\" is not a trust domain name (lowercase letters, digits, '.', '-', '_'; optionally spiffe://)");
        }
        return parsed;
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

    private Optional<ConfiguredUrl> url(String property, String value, boolean insecureAllowed) {
        ConfiguredUrl.Parsed parsed = ConfiguredUrl.parse(property, value, insecureAllowed);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
        }
        return Optional.ofNullable(parsed.url());
    }

    /**
     * spiffe-oidc.domains when set, else the configured issuer's host. A listed issuer host that is not
     * among the domains would be answered "host not allowed" on every request, so that is refused here.
     */
    private Optional<HostSet> hosts(Optional<ConfiguredUrl> issuer) {
        List<String> domains = config.domains().orElse(List.of());
        if (domains.isEmpty()) {
            if (config.issuer().isEmpty()) {
                problems.add("spiffe-oidc.domains: required when spiffe-oidc.issuer is not set"
                        + " (the host names the issuer may be derived from)");
                return Optional.empty();
            }
            return issuer.map(url -> HostSet.of(List.of(url.host())));
        }
        int before = problems.size();
        Set<String> seen = new HashSet<>();
        Set<String> repeated = new TreeSet<>();
        for (String domain : domains) {
            if (!HostName.isAscii(domain)) {
                problems.add("spiffe-oidc.domains: \"" + domain + "\" must be written in punycode (xn--...)");
            } else if (!HostName.isValid(domain)) {
                problems.add("spiffe-oidc.domains: \"" + domain + "\" is not a host name (no scheme, port or path)");
            } else if (!seen.add(domain.toLowerCase(Locale.ROOT))) {
                repeated.add(domain.toLowerCase(Locale.ROOT));
            }
        }
        for (String domain : repeated) {
            problems.add("spiffe-oidc.domains: \"" + domain + "\" is listed more than once");
        }
        HostSet hosts = HostSet.of(domains);
        issuer.filter(url -> !hosts.contains(url.host())).ifPresent(url -> problems.add("spiffe-oidc.issuer: host \""
                + url.host() + "\" is not in spiffe-oidc.domains (" + String.join(",", domains)
                + "); every request for it would be refused"));
        return problems.size() == before ? Optional.of(hosts) : Optional.empty();
    }

    private boolean checkInterval(String property, Duration interval) {
        if (interval.toMillis() < 100 || interval.compareTo(Duration.ofHours(1)) > 0) {
            problems.add(property + ": " + interval + " is outside 100ms..1h");
            return false;
        }
        return true;
    }
}
