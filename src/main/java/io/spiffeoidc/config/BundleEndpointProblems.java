package io.spiffeoidc.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules for SPIFFE bundle endpoints (spiffe-oidc.bundle-endpoint.path and
 * spiffe-oidc.federated."name".bundle-endpoint.path), part of {@link ConfigProblems}: each is an absolute
 * path that no other document takes on any host name its issuer shares, so a federating server can never
 * be handed a key set, a discovery document or another trust domain's bundle instead.
 */
final class BundleEndpointProblems {

    /** Stands for "any host" when an issuer names none (a primary alone with a derived issuer). */
    private static final String ANY_HOST = "";

    private BundleEndpointProblems() {
    }

    static void check(List<IssuerSettings> issuers, List<String> problems) {
        Map<String, String> taken = new HashMap<>();
        for (IssuerSettings issuer : issuers) {
            for (String host : hosts(issuer)) {
                for (String path : issuer.documentPaths()) {
                    taken.putIfAbsent(host + path, "an OIDC document path of trust domain " + name(issuer));
                }
            }
        }
        for (IssuerSettings issuer : issuers) {
            if (issuer.bundlePath().isEmpty()) {
                continue;
            }
            String property = issuer.property() + "bundle-endpoint.path";
            String configured = issuer.bundlePath().get();
            if (issuer.bundleEndpointPath().isEmpty()) {
                problems.add(property + ": \"" + configured + "\" must start with '/' and contain only plain path segments");
                continue;
            }
            String path = issuer.bundleEndpointPath().get();
            boolean refused = false;
            for (String host : hosts(issuer)) {
                String owner = taken.putIfAbsent(host + path, "the SPIFFE bundle endpoint of trust domain " + name(issuer));
                if (owner != null) {
                    problems.add(property + ": \"" + path + "\" is already " + owner
                            + (host.isEmpty() ? "" : " on host " + host) + "; give the bundle endpoint a path of its own");
                    refused = true;
                    break;
                }
            }
            // The documents are matched by their last segments (any prefix, then keys or the well-known
            // name), so a bundle path ending in them would be taken for a document of some issuer.
            if (!refused && (path.endsWith("/keys") || path.endsWith("/.well-known/openid-configuration"))) {
                problems.add(property + ": \"" + path + "\" ends like an OIDC document path (/keys or "
                        + "/.well-known/openid-configuration); give the bundle endpoint a path of its own, such as /bundle");
            }
        }
    }

    private static Set<String> hosts(IssuerSettings issuer) {
        return issuer.hosts().isEmpty() ? Set.of(ANY_HOST) : issuer.hosts();
    }

    private static String name(IssuerSettings issuer) {
        return issuer.trustDomain().isEmpty() ? "(configured)" : issuer.trustDomain();
    }
}
