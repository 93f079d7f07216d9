package io.spiffeoidc.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * What the guard decided for an admitted request: its routing context, the document it is for and its
 * public authority. It travels in the request's context locals, which hold its metrics tag anyway, rather
 * than in the routing context's data map, which would be created for this alone; the resources then take
 * no parameters, and Quarkus REST activates the CDI request scope for any method that has one.
 */
record Admission(RoutingContext ctx, DocumentRoute route, Authority authority) {

    private static final String KEY = "spiffeoidc.admission";

    void hand() {
        Vertx.currentContext().putLocal(KEY, this);
    }

    /** The current request's, handed over by {@link PublicRoutes} before any resource runs. */
    static Admission current() {
        return Vertx.currentContext().getLocal(KEY);
    }
}
