package io.spiffeoidc.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules between issuers' endpoints, run over the issuers {@link IssuerRules} accepted. A request is
 * matched to its issuer and document by host and path before anything else, so one host name with one
 * path may belong to one issuer and one document only: otherwise a relying party could be handed another
 * trust domain's keys, or a federating server a key set instead of a bundle.
 */
final class EndpointProblems {

    private EndpointProblems() {
    }

    static void check(List<Issuer> issuers, List<String> problems) {
        checkDistinctPrefixes(issuers, problems);
        checkBundlePaths(issuers, problems);
    }

    /** One host name with one path prefix serves one issuer. */
    private static void checkDistinctPrefixes(List<Issuer> issuers, List<String> problems) {
        Map<String, Issuer> owners = new HashMap<>();
        for (Issuer issuer : issuers) {
            String prefix = issuer.pathPrefix().value();
            for (String host : issuer.hosts()) {
                Issuer owner = owners.putIfAbsent(host + prefix, issuer);
                if (owner != null) {
                    problems.add(issuer.property() + "path-prefix: host " + host + " with path prefix \""
                            + (prefix.isEmpty() ? "/" : prefix) + "\" already serves trust domain " + owner.trustDomain()
                            + "; give each issuer its own host name or path prefix");
                }
            }
        }
    }

    /**
     * A SPIFFE bundle endpoint (spiffe-oidc.bundle-endpoint.path, spiffe-oidc.federated."name".bundle-endpoint.path)
     * has a path that no other document takes on any host name its issuer shares.
     */
    private static void checkBundlePaths(List<Issuer> issuers, List<String> problems) {
        Map<String, String> taken = new HashMap<>();
        for (Issuer issuer : issuers) {
            for (String host : issuer.hosts()) {
                for (String path : issuer.documentPaths()) {
                    taken.putIfAbsent(host + path, "an OIDC document path of trust domain " + name(issuer));
                }
            }
        }
        for (Issuer issuer : issuers) {
            if (issuer.bundleEndpointPath().isEmpty()) {
                continue;
            }
            String property = issuer.property() + "bundle-endpoint.path";
            String path = issuer.bundleEndpointPath().get();
            for (String host : issuer.hosts()) {
                String owner = taken.putIfAbsent(host + path, "the SPIFFE bundle endpoint of trust domain " + name(issuer));
                if (owner != null) {
                    problems.add(property + ": \"" + path + "\" is already " + owner + " on host " + host
                            + "; give the bundle endpoint a path of its own");
                    break;
                }
            }
        }
    }

    private static String name(Issuer issuer) {
        return issuer.trustDomain().isEmpty() ? "(configured)" : issuer.trustDomain();
    }
}
