package io.spiffeoidc.http;

import io.spiffeoidc.http.DocumentRoute.Document;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Picks the issuer and document a request is for, from its host and exact path, before anything else is
 * looked at. A host and path pair belongs to one issuer and one document at most (the configuration check
 * refuses anything else), so a request can only ever be answered with its own trust domain's snapshot.
 */
public final class IssuerRoutes {

    private final List<IssuerRoute> routes;
    private final boolean single;
    /** Per configured path, the documents of the issuers serving it, each on host names of its own. */
    private final Map<String, DocumentRoute[]> byPath = new HashMap<>();

    public IssuerRoutes(List<IssuerRoute> routes) {
        this.routes = List.copyOf(routes);
        this.single = routes.size() == 1;
        Map<String, List<DocumentRoute>> collected = new HashMap<>();
        for (IssuerRoute route : routes) {
            add(collected, route.keysPath(), new DocumentRoute(route, Document.KEYS));
            add(collected, route.discoveryPath(), new DocumentRoute(route, Document.DISCOVERY));
            if (route.bundlePath() != null) {
                add(collected, route.bundlePath(), new DocumentRoute(route, Document.SPIFFE_BUNDLE));
            }
        }
        collected.forEach((path, documents) -> byPath.put(path, documents.toArray(DocumentRoute[]::new)));
    }

    private static void add(Map<String, List<DocumentRoute>> collected, String path, DocumentRoute document) {
        collected.computeIfAbsent(path, ignored -> new ArrayList<>()).add(document);
    }

    /**
     * The document at {@code path} for the admitted {@code authority}, or null: one hash lookup and a few
     * host comparisons, since deployments publish a few trust domains, not hundreds. With one issuer every
     * admitted host is its own.
     */
    DocumentRoute find(Authority authority, String path) {
        DocumentRoute[] candidates = byPath.get(path);
        if (candidates == null) {
            return null;
        }
        for (DocumentRoute candidate : candidates) {
            if (single || candidate.issuer().hosts().contains(authority.host())) {
                return candidate;
            }
        }
        return null;
    }

    public List<IssuerRoute> all() {
        return routes;
    }
}
