package io.spiffeoidc.config;

import io.spiffeoidc.config.ProviderConfig.FederatedTrustDomainConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One published trust domain as an issuer: where it is served (host names and path prefix) and what it
 * advertises. The primary trust domain comes from the top-level properties, each federated one from
 * spiffe-oidc.federated."name".*, so the rest of the service handles every issuer alike.
 *
 * @param trustDomain the trust domain name; empty only for a primary without spiffe-oidc.trust-domain
 * @param property    the property prefix problems are reported under, e.g. spiffe-oidc.federated."b".
 * @param hosts       the Host values this issuer answers for, in lower case
 * @param pathPrefix  the normalised prefix ("" for the root), or empty when the configured one is invalid
 * @param file        this trust domain's bundle file (federated trust domains with the file source)
 * @param bundlePath  the SPIFFE bundle endpoint's path as configured; empty when it is off
 */
public record IssuerSettings(String trustDomain, String property, boolean primary, Optional<String> issuer,
        Optional<String> jwksUri, Set<String> hosts, Optional<String> pathPrefix, Optional<Path> file,
        Optional<String> bundlePath) {

    /** Every published trust domain, the primary first, federated ones by name. */
    public static List<IssuerSettings> all(ProviderConfig config) {
        List<IssuerSettings> all = new ArrayList<>();
        Set<String> primaryHosts = hosts(config.domains(), config.issuer());
        all.add(new IssuerSettings(config.trustDomain().flatMap(TrustDomain::parse).map(TrustDomain::name).orElse(""),
                "spiffe-oidc.", true, config.issuer(), config.jwksUri(), primaryHosts,
                PathPrefix.normalise(config.pathPrefix()), config.file().path(), config.bundleEndpoint().path()));
        for (Map.Entry<String, FederatedTrustDomainConfig> entry : new TreeMap<>(config.federated()).entrySet()) {
            String name = TrustDomain.parse(entry.getKey()).map(TrustDomain::name).orElse(entry.getKey());
            FederatedTrustDomainConfig federated = entry.getValue();
            Set<String> hosts = federated.domains().isPresent() || federated.issuer().isPresent()
                    ? hosts(federated.domains(), federated.issuer())
                    : primaryHosts;
            String prefix = federated.pathPrefix().orElseGet(() -> federated.issuer().map(IssuerSettings::path)
                    .orElse("/" + name));
            all.add(new IssuerSettings(name, "spiffe-oidc.federated.\"" + entry.getKey() + "\".", false,
                    federated.issuer(), federated.jwksUri(), hosts, PathPrefix.normalise(prefix), federated.file().path(),
                    federated.bundleEndpoint().path()));
        }
        return all;
    }

    /** The issuer as validated; the configuration check has refused a value that does not parse. */
    public Optional<ConfiguredUrl> issuerUrl() {
        return issuer.map(value -> ConfiguredUrl.parse("issuer", value, true).url());
    }

    public Optional<ConfiguredUrl> jwksUrl() {
        return jwksUri.map(value -> ConfiguredUrl.parse("jwks-uri", value, true).url());
    }

    public HostSet hostSet() {
        return HostSet.of(hosts);
    }

    public PathPrefix prefix() {
        return pathPrefix.map(PathPrefix::new).orElse(PathPrefix.ROOT);
    }

    /** The JWKS and discovery paths, the ones a bundle endpoint path must not take. */
    public List<String> documentPaths() {
        String prefix = prefix().value();
        return List.of(prefix + "/keys", prefix + "/.well-known/openid-configuration");
    }

    /**
     * The SPIFFE bundle endpoint's normalised path ("/" for the root), when it is on; the configuration
     * check has refused a value that does not normalise.
     */
    public Optional<String> bundleEndpointPath() {
        return bundlePath.flatMap(PathPrefix::normalise).map(path -> path.isEmpty() ? "/" : path);
    }

    /** The SPIFFE ID of the trust domain, the key of its bundle in a Workload API bundle map. */
    public String spiffeId() {
        return "spiffe://" + trustDomain;
    }

    /** spiffe-oidc.domains, else the configured issuer's host: the names a request may carry. */
    private static Set<String> hosts(Optional<List<String>> domains, Optional<String> issuer) {
        List<String> listed = domains.orElse(List.of());
        if (!listed.isEmpty()) {
            return listed.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        }
        return issuer.map(IssuerSettings::host).map(h -> Set.of(h.toLowerCase(Locale.ROOT))).orElse(Set.of());
    }

    private static String host(String url) {
        try {
            String host = new URI(url).getHost();
            return host == null ? "" : host;
        } catch (URISyntaxException e) {
            return "";
        }
    }

    /** The issuer URL's path, "/" when it has none: where relying parties look for its discovery document. */
    private static String path(String url) {
        try {
            String path = new URI(url).getRawPath();
            return path == null || path.isEmpty() ? "/" : path;
        } catch (URISyntaxException e) {
            return "/";
        }
    }
}
