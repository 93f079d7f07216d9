package io.spiffeoidc.config;

import io.spiffeoidc.config.ProviderConfig.FederatedTrustDomainConfig;
import io.spiffeoidc.config.ProviderConfig.SourceKind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules for federated trust domains (spiffe-oidc.federated."name".*), part of {@link ConfigProblems}:
 * each is a distinct trust domain with its own issuer, and no host name and path prefix serves two of them.
 */
final class FederationProblems {

    private FederationProblems() {
    }

    static void check(ProviderConfig config, List<String> problems) {
        Map<String, FederatedTrustDomainConfig> federated = config.federated();
        if (federated.isEmpty()) {
            return;
        }
        if (config.trustDomain().isEmpty()) {
            problems.add("spiffe-oidc.trust-domain: required when spiffe-oidc.federated is set"
                    + " (names the primary trust domain next to the federated ones)");
        }
        String primary = config.trustDomain().flatMap(TrustDomain::parse).map(TrustDomain::name).orElse(null);
        for (Map.Entry<String, FederatedTrustDomainConfig> entry : federated.entrySet()) {
            String property = "spiffe-oidc.federated.\"" + entry.getKey() + "\"";
            FederatedTrustDomainConfig td = entry.getValue();
            TrustDomain.parse(entry.getKey()).ifPresentOrElse(name -> {
                if (name.name().equals(primary)) {
                    problems.add(property + ": is the primary trust domain (spiffe-oidc.trust-domain) already");
                }
            }, () -> problems.add(property + ": \"" + entry.getKey()
                    + "\" is not a trust domain name (lowercase letters, digits, '.', '-', '_')"));
            td.issuer().ifPresent(url -> checkUrl(property + ".issuer", url, config.allowInsecureScheme(), problems));
            td.jwksUri().ifPresent(url -> checkUrl(property + ".jwks-uri", url, config.allowInsecureScheme(), problems));
            for (String domain : td.domains().orElse(List.of())) {
                if (!HostName.isAscii(domain)) {
                    problems.add(property + ".domains: \"" + domain + "\" must be written in punycode (xn--...)");
                } else if (!HostName.isValid(domain)) {
                    problems.add(property + ".domains: \"" + domain + "\" is not a host name (no scheme, port or path)");
                }
            }
            if (config.source() == SourceKind.FILE && td.file().path().isEmpty()) {
                problems.add(property + ".file.path: required when spiffe-oidc.source=file (one bundle file per trust domain)");
            } else if (config.source() != SourceKind.FILE && td.file().path().isPresent()) {
                problems.add(property + ".file.path: only used with spiffe-oidc.source=file; the "
                        + config.source().label() + " source delivers every trust domain's bundle");
            }
        }
        checkDistinctEndpoints(IssuerSettings.all(config), problems);
    }

    private static void checkUrl(String property, String value, boolean insecureAllowed, List<String> problems) {
        ConfiguredUrl.Parsed parsed = ConfiguredUrl.parse(property, value, insecureAllowed);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
        }
    }

    /**
     * A request is matched to an issuer by host and path prefix before anything else, so one host name
     * with one path prefix may belong to one issuer only: otherwise a relying party could be handed another
     * trust domain's keys.
     */
    private static void checkDistinctEndpoints(List<IssuerSettings> issuers, List<String> problems) {
        Map<String, IssuerSettings> owners = new HashMap<>();
        for (IssuerSettings issuer : issuers) {
            if (issuer.pathPrefix().isEmpty()) {
                if (!issuer.primary()) { // the primary's is reported with the other top-level properties
                    problems.add(issuer.property() + "path-prefix: must start with '/' and contain only plain path segments");
                }
                continue;
            }
            if (!issuer.primary() && issuer.hosts().isEmpty()) {
                problems.add(issuer.property() + "domains: required when neither this issuer nor spiffe-oidc.domains"
                        + " names a host");
            }
            for (String host : issuer.hosts()) {
                String endpoint = host + issuer.pathPrefix().get();
                IssuerSettings owner = owners.putIfAbsent(endpoint, issuer);
                if (owner != null) {
                    problems.add(issuer.property() + "path-prefix: host " + host + " with path prefix \""
                            + (issuer.pathPrefix().get().isEmpty() ? "/" : issuer.pathPrefix().get())
                            + "\" already serves trust domain " + owner.trustDomain()
                            + "; give each issuer its own host name or path prefix");
                }
            }
        }
    }
}
