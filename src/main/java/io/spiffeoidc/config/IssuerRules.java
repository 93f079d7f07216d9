package io.spiffeoidc.config;

import io.spiffeoidc.config.ProviderConfig.FederatedTrustDomainConfig;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rules of one issuer, the same for the primary and every federated one: trust domain name, issuer and
 * jwks_uri URLs, host names (syntax, repeats, the issuer's host among them), path prefix and bundle
 * endpoint path. Each problem is one line naming the issuer's own property; rules between issuers are
 * {@link EndpointProblems} and {@link FederationProblems}.
 */
final class IssuerRules {

    /** The property prefix of the primary issuer. */
    static final String PRIMARY = "spiffe-oidc.";

    private final boolean insecureAllowed;
    private final List<String> problems;

    IssuerRules(boolean insecureAllowed, List<String> problems) {
        this.insecureAllowed = insecureAllowed;
        this.problems = problems;
    }

    /**
     * One issuer as configured, before any rule.
     *
     * @param property            the prefix of its properties, e.g. spiffe-oidc.federated."b".
     * @param trustDomainProperty the property that names its trust domain (a map key for a federated issuer)
     * @param pathPrefix          as configured; empty when it defaults to the issuer URL's path, else /trust-domain
     * @param fallbackHosts       a federated issuer's host names when neither its domains nor its issuer names
     *                            one: the primary's, empty when those are refused (that problem is reported once)
     */
    record Configured(String property, boolean primary, String trustDomainProperty, Optional<String> trustDomain,
            Optional<String> issuer, Optional<String> jwksUri, Optional<List<String>> domains, Optional<String> pathPrefix,
            Optional<Path> file, Optional<String> bundlePath, Optional<Set<String>> fallbackHosts) {

        static Configured primary(ProviderConfig config) {
            return new Configured(PRIMARY, true, "spiffe-oidc.trust-domain", config.trustDomain(), config.issuer(),
                    config.jwksUri(), config.domains(), Optional.of(config.pathPrefix()), config.file().path(),
                    config.bundleEndpoint().path(), Optional.empty());
        }

        static Configured federated(String name, FederatedTrustDomainConfig config, Optional<Issuer> primary) {
            String property = "spiffe-oidc.federated.\"" + name + "\"";
            return new Configured(property + ".", false, property, Optional.of(name), config.issuer(), config.jwksUri(),
                    config.domains(), config.pathPrefix(), config.file().path(), config.bundleEndpoint().path(),
                    primary.map(Issuer::hosts));
        }

        String named(String suffix) {
            return property + suffix;
        }
    }

    /**
     * The trust domain name, the first rule on its own: the primary's source needs it as well. Empty when it
     * is not configured (a primary with the file source) or refused (then a problem names it).
     */
    Optional<TrustDomain> trustDomain(Configured configured) {
        Optional<TrustDomain> parsed = configured.trustDomain().flatMap(TrustDomain::parse);
        if (configured.trustDomain().isPresent() && parsed.isEmpty()) {
            problems.add(configured.trustDomainProperty() + ": \"" + configured.trustDomain().get()
                    + "\" is not a trust domain name (lowercase letters, digits, '.', '-', '_'; optionally spiffe://)");
        }
        return parsed;
    }

    /** Every other rule, given what {@link #trustDomain} found; the issuer when all of them hold. */
    Optional<Issuer> issuer(Configured configured, Optional<TrustDomain> trustDomain) {
        int before = problems.size();
        Optional<ConfiguredUrl> issuer = configured.issuer().flatMap(value -> url(configured.named("issuer"), value));
        Optional<ConfiguredUrl> jwksUri = configured.jwksUri().flatMap(value -> url(configured.named("jwks-uri"), value));
        Optional<Set<String>> hosts = hosts(configured, issuer);
        Optional<PathPrefix> prefix = pathPrefix(configured, issuer, trustDomain);
        Optional<String> bundlePath = bundlePath(configured);
        boolean named = configured.trustDomain().isEmpty() || trustDomain.isPresent();
        // A refused value has its problem; hosts or a prefix can also be unknown because another value was refused.
        if (!named || problems.size() > before || hosts.isEmpty() || prefix.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Issuer(trustDomain.map(TrustDomain::name).orElse(""), configured.property(), issuer, jwksUri,
                hosts.get(), prefix.get(), bundlePath, configured.file()));
    }

    private Optional<ConfiguredUrl> url(String property, String value) {
        ConfiguredUrl.Parsed parsed = ConfiguredUrl.parse(property, value, insecureAllowed);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
        }
        return Optional.ofNullable(parsed.url());
    }

    /**
     * The domains when listed, else the configured issuer's host, else the fallback. A listed issuer host
     * that is not among the domains would be answered "host not allowed" on every request, so that is
     * refused here. Empty when the hosts are refused or unknown.
     */
    private Optional<Set<String>> hosts(Configured configured, Optional<ConfiguredUrl> issuer) {
        List<String> domains = configured.domains().orElse(List.of());
        if (domains.isEmpty()) {
            if (configured.issuer().isPresent()) {
                return issuer.map(url -> Set.of(url.host()));
            }
            if (!configured.primary()) {
                return configured.fallbackHosts();
            }
            problems.add(configured.named("domains") + ": required when " + configured.named("issuer")
                    + " is not set (the host names the issuer may be derived from)");
            return Optional.empty();
        }
        int before = problems.size();
        String property = configured.named("domains");
        Set<String> hosts = new LinkedHashSet<>();
        Set<String> repeated = new TreeSet<>();
        for (String domain : domains) {
            if (!HostName.isAscii(domain)) {
                problems.add(property + ": \"" + domain + "\" must be written in punycode (xn--...)");
            } else if (!HostName.isValid(domain)) {
                problems.add(property + ": \"" + domain + "\" is not a host name (no scheme, port or path)");
            } else if (!hosts.add(domain.toLowerCase(Locale.ROOT))) {
                repeated.add(domain.toLowerCase(Locale.ROOT));
            }
        }
        for (String domain : repeated) {
            problems.add(property + ": \"" + domain + "\" is listed more than once");
        }
        issuer.filter(url -> !hosts.contains(url.host())).ifPresent(url -> problems.add(configured.named("issuer")
                + ": host \"" + url.host() + "\" is not in " + property + " (" + String.join(",", domains)
                + "); every request for it would be refused"));
        return problems.size() == before ? Optional.of(hosts) : Optional.empty();
    }

    /** As configured, else the issuer URL's path (where relying parties look for it), else /trust-domain. */
    private Optional<PathPrefix> pathPrefix(Configured configured, Optional<ConfiguredUrl> issuer,
            Optional<TrustDomain> trustDomain) {
        Optional<String> value = configured.pathPrefix()
                .or(() -> issuer.map(ConfiguredUrl::path))
                .or(() -> configured.issuer().isEmpty() ? trustDomain.map(td -> "/" + td.name()) : Optional.empty());
        if (value.isEmpty()) {
            return Optional.empty(); // derived from a value already refused
        }
        Optional<PathPrefix> prefix = PathPrefix.parse(value.get());
        if (prefix.isEmpty()) {
            problems.add(configured.named("path-prefix") + ": \"" + value.get()
                    + "\" must start with '/' and contain only plain path segments");
        }
        return prefix;
    }

    /** The bundle endpoint's normalised path ("/" for the root); empty when it is off or refused. */
    private Optional<String> bundlePath(Configured configured) {
        Optional<String> value = configured.bundlePath();
        Optional<String> path = value.flatMap(PathPrefix::normalise).map(normalised -> normalised.isEmpty() ? "/" : normalised);
        if (value.isPresent() && path.isEmpty()) {
            problems.add(configured.named("bundle-endpoint.path") + ": \"" + value.get()
                    + "\" must start with '/' and contain only plain path segments");
        }
        return path;
    }
}
