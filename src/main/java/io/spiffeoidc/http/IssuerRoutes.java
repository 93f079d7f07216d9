package io.spiffeoidc.http;

import java.util.List;

/**
 * Picks the issuer a request is for, from its host and path, before anything else is looked at. A host
 * and path pair belongs to one issuer at most (the configuration check refuses anything else), so a
 * request can only ever be answered with its own trust domain's snapshot.
 */
public final class IssuerRoutes {

    private final IssuerRoute[] routes;

    public IssuerRoutes(List<IssuerRoute> routes) {
        this.routes = routes.toArray(IssuerRoute[]::new);
    }

    /**
     * The issuer serving {@code path} on the admitted {@code authority}, or null. A handful of string
     * comparisons: deployments publish a few trust domains, not hundreds.
     */
    public IssuerRoute find(String authority, String path) {
        for (IssuerRoute route : routes) {
            if (route.serves(path) && (routes.length == 1 || route.hosts().admit(authority) != null)) {
                return route;
            }
        }
        return null;
    }

    public List<IssuerRoute> all() {
        return List.of(routes);
    }
}
