package io.spiffeoidc.config;

import io.spiffeoidc.config.ProviderConfig.SourceKind;
import io.spiffeoidc.http.HostName;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Finds invalid and contradictory settings. Each problem is one line that starts with the property
 * name, so the operator knows what to change without reading code.
 */
public final class ConfigProblems {

    /** Longer than this and relying parties may keep verifying with keys SPIRE has already retired. */
    static final Duration MAX_CACHE_MAX_AGE = Duration.ofHours(1);

    private ConfigProblems() {
    }

    public static List<String> of(ProviderConfig config) {
        List<String> problems = new ArrayList<>();
        checkSource(config, problems);
        config.trustDomain().ifPresent(td -> {
            if (TrustDomain.parse(td).isEmpty()) {
                problems.add("spiffe-oidc.trust-domain: \"" + td
                        + "\" is not a trust domain name (lowercase letters, digits, '.', '-', '_'; optionally spiffe://)");
            }
        });
        config.issuer().ifPresent(issuer -> checkUrl("spiffe-oidc.issuer", issuer, config.allowInsecureScheme(), problems));
        config.jwksUri().ifPresent(uri -> checkUrl("spiffe-oidc.jwks-uri", uri, config.allowInsecureScheme(), problems));
        checkDomains("spiffe-oidc.domains", config.domains().orElse(List.of()), problems);
        if (config.issuer().isEmpty() && config.domains().orElse(List.of()).isEmpty()) {
            problems.add("spiffe-oidc.domains: required when spiffe-oidc.issuer is not set"
                    + " (the host names the issuer may be derived from)");
        }
        if (PathPrefix.normalise(config.pathPrefix()).isEmpty()) {
            problems.add("spiffe-oidc.path-prefix: \"" + config.pathPrefix()
                    + "\" must start with '/' and contain only plain path segments");
        }
        if (config.cacheMaxAge().isNegative() || config.cacheMaxAge().compareTo(MAX_CACHE_MAX_AGE) > 0) {
            problems.add("spiffe-oidc.cache-max-age: " + config.cacheMaxAge().toSeconds()
                    + " s is outside 0.." + MAX_CACHE_MAX_AGE.toSeconds() + " s");
        }
        Duration reload = config.tls().reloadPeriod();
        if (!reload.isZero()) {
            checkInterval("spiffe-oidc.tls.reload-period", reload, problems);
        }
        if (config.missingTrustDomainGracePeriod().isNegative()) {
            problems.add("spiffe-oidc.missing-trust-domain-grace-period: must not be negative");
        }
        FederationProblems.check(config, problems);
        config.stalenessThreshold().ifPresent(threshold -> {
            if (threshold.isNegative() || threshold.isZero()) {
                problems.add("spiffe-oidc.staleness-threshold: must be positive");
            }
        });
        return problems;
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

    private static void checkSource(ProviderConfig config, List<String> problems) {
        SourceKind source = config.source();
        switch (source) {
            case FILE -> {
                if (config.file().path().isEmpty()) {
                    problems.add("spiffe-oidc.file.path: required when spiffe-oidc.source=file");
                }
                checkInterval("spiffe-oidc.file.poll-interval", config.file().pollInterval(), problems);
            }
            case WORKLOAD_API -> {
                checkSocket("spiffe-oidc.workload-api.socket", config.workloadApi().socket(),
                        "required when spiffe-oidc.source=workload-api (or set SPIFFE_ENDPOINT_SOCKET)", problems);
                requireTrustDomain(config, problems);
            }
            case SERVER_API -> {
                checkSocket("spiffe-oidc.server-api.socket", config.serverApi().socket(),
                        "required when spiffe-oidc.source=server-api", problems);
                checkInterval("spiffe-oidc.server-api.poll-interval", config.serverApi().pollInterval(), problems);
                requireTrustDomain(config, problems);
            }
        }
    }

    private static void requireTrustDomain(ProviderConfig config, List<String> problems) {
        if (config.trustDomain().isEmpty()) {
            problems.add("spiffe-oidc.trust-domain: required when spiffe-oidc.source="
                    + config.source().label() + " (selects the bundle to publish)");
        }
    }

    private static void checkSocket(String property, Optional<String> socket, String whenMissing, List<String> problems) {
        if (socket.isEmpty() || socket.get().isBlank()) {
            problems.add(property + ": " + whenMissing);
        } else if (UnixSocketAddress.parse(socket.get()).isEmpty()) {
            problems.add(property + ": \"" + socket.get() + "\" is not a Unix socket (unix:///path, unix:/path or /path)");
        }
    }

    private static void checkInterval(String property, Duration interval, List<String> problems) {
        if (interval.toMillis() < 100 || interval.compareTo(Duration.ofHours(1)) > 0) {
            problems.add(property + ": " + interval + " is outside 100ms..1h");
        }
    }

    static void checkDomains(String property, List<String> domains, List<String> problems) {
        for (String domain : domains) {
            if (!HostName.isAscii(domain)) {
                problems.add(property + ": \"" + domain + "\" must be written in punycode (xn--...)");
            } else if (!HostName.isValid(domain)) {
                problems.add(property + ": \"" + domain + "\" is not a host name (no scheme, port or path)");
            }
        }
    }

    static void checkUrl(String property, String value, boolean insecureAllowed, List<String> problems) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            problems.add(property + ": \"" + value + "\" is not a URL");
            return;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && insecureAllowed)) {
            problems.add(property + ": \"" + value + "\" must be an https URL"
                    + (scheme.equals("http") ? " (http needs spiffe-oidc.allow-insecure-scheme=true)" : ""));
        } else if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            problems.add(property + ": \"" + value + "\" must be an absolute URL with a host and no query, fragment or user info");
        }
    }
}
