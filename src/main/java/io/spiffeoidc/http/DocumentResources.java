package io.spiffeoidc.http;

import io.smallrye.common.annotation.NonBlocking;
import io.spiffeoidc.bundle.PreparedDocument;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Serves what {@link PublicRoutes} decided. The guard, which runs first, has already chosen the issuer, the
 * document and the authority from the exact configured paths; every method here serves that decision,
 * whichever template Quarkus REST matched, so the templates only have to reach a method and can never
 * disagree with the guard. Methods run on the event loop and return the snapshot's prepared buffer, which
 * Quarkus REST hands to Vert.x as it is: no JSON work and no copy per request. GET also answers HEAD.
 */
@Path("/")
public class DocumentResources {

    private static final String NO_KEYS_YET_TEMPLATE = "NO_KEYS_YET";
    private static final String NO_X509_YET_TEMPLATE = "NO_X509_AUTHORITIES_YET";

    private final boolean trustForwarded;
    private final boolean varyOnForwarded;
    private final boolean allowInsecureScheme;

    @Inject
    public DocumentResources(IssuerRoutes routes, ProviderSettings settings) {
        this.trustForwarded = settings.trustForwardedHeaders();
        // A discovery document derived from forwarded headers differs by them, not by the URL alone: a
        // shared cache keyed on the URL would hand one public host's issuer to another host's clients.
        this.varyOnForwarded = trustForwarded && routes.all().stream().anyMatch(route -> route.issuers().derivesFromRequest());
        this.allowInsecureScheme = settings.allowInsecureScheme();
    }

    /*
     * The path prefix and the bundle path are runtime configuration while a @Path is fixed at build time, so
     * a catch-all template reaches every configured path. The usual deployment's two paths, at the root, have
     * literal templates as well, because Quarkus REST matches a literal template without running a regular
     * expression.
     */
    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("keys")
    public Buffer keysAtRoot() {
        return serve();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path(".well-known/openid-configuration")
    public Buffer discoveryAtRoot() {
        return serve();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("{path: .*}")
    public Buffer anyConfiguredPath() {
        return serve();
    }

    /**
     * The metrics tag is the request's own path, as for the guard's answers: the guard admitted only
     * configured paths, so there is one series per document, not the template's regex.
     */
    private Buffer serve() {
        Admission admission = Admission.current();
        RoutingContext ctx = admission.ctx();
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        PublicRoutes.tagMetrics(request.path());
        DocumentRoute route = admission.route();
        PublishedView view = route.issuer().view();
        PublishedBundle bundle = view.served();
        if (bundle == null) {
            // Before the issuer's first bundle, or after its trust domain was withdrawn.
            PublicRoutes.tagMetrics(NO_KEYS_YET_TEMPLATE);
            return Answers.unavailable(response, view.status().presence().withdrawn() ? Answers.TRUST_DOMAIN_WITHDRAWN : Answers.NO_KEYS_YET);
        }
        PreparedDocument document = switch (route.document()) {
            case KEYS -> bundle.jwks();
            case DISCOVERY -> discovery(route.issuer().issuers(), bundle, request, response, admission.authority());
            case SPIFFE_BUNDLE -> bundle.spiffeBundle();
        };
        if (document == null) {
            // A bundle without its X.509 authorities would make a federating server distrust every X.509-SVID.
            PublicRoutes.tagMetrics(NO_X509_YET_TEMPLATE);
            return Answers.unavailable(response, Answers.NO_X509_AUTHORITIES_YET);
        }
        return Answers.document(request, response, document, bundle.cacheControl());
    }

    private PreparedDocument discovery(IssuerResolver issuers, PublishedBundle bundle, HttpServerRequest request,
            HttpServerResponse response, Authority authority) {
        String scheme = scheme(request);
        if (varyOnForwarded) {
            response.headers().set(HttpHeaders.VARY, Answers.FORWARDED_NAMES);
        }
        return bundle.discovery(issuers.issuer(scheme, authority.value()), issuers.jwksUri(scheme, authority.value()));
    }

    /** https unless the request really arrived over http (or a trusted proxy says so) and http is allowed. */
    private String scheme(HttpServerRequest request) {
        if (!allowInsecureScheme) {
            return "https";
        }
        String forwarded = trustForwarded ? ForwardedHeaders.scheme(request) : null;
        if (forwarded != null) {
            return forwarded;
        }
        return request.isSSL() ? "https" : "http";
    }
}
