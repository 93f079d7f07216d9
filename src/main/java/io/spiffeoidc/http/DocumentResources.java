package io.spiffeoidc.http;

import io.smallrye.common.annotation.NonBlocking;
import io.spiffeoidc.bundle.PreparedDocument;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.MultiMap;
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
 * The two documents. The path prefix is runtime configuration while a {@code @Path} is fixed at build
 * time, so each template accepts any prefix and {@link PublicRoutes}, which runs first, lets only the
 * configured paths through. Methods run on the event loop and return the snapshot's prepared buffer,
 * which RESTEasy hands to Vert.x as it is: no JSON work and no copy per request. GET also answers HEAD.
 */
@Path("/")
public class DocumentResources {

    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
    private static final CharSequence ANY_ORIGIN = HttpHeaders.createOptimized("*");
    private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");
    private static final Buffer NO_BODY = Buffer.buffer(0);
    private static final CharSequence RETRY_AFTER_SECONDS = HttpHeaders.createOptimized("5");
    private static final CharSequence FORWARDED_NAMES = HttpHeaders.createOptimized(ForwardedHeaders.NAMES);
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
     * Each document has a literal path for the issuer without a path prefix, the usual deployment, because
     * RESTEasy matches a literal template without running a regular expression; the template with a prefix
     * serves every other issuer.
     */
    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("keys")
    public Buffer keysAtRoot() {
        return keys();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path(".well-known/openid-configuration")
    public Buffer discoveryAtRoot() {
        return discovery();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("{prefix: .+/}keys")
    public Buffer keys() {
        PublicRoutes.Admission admission = admitted();
        RoutingContext ctx = admission.ctx();
        IssuerRoute route = admission.route();
        PublishedBundle bundle = route.view().served();
        if (bundle == null) {
            return unavailable(ctx.response(), route);
        }
        return conditional(ctx.request(), ctx.response(), bundle.jwks(), bundle.cacheControl());
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("{prefix: .+/}.well-known/openid-configuration")
    public Buffer discovery() {
        PublicRoutes.Admission admission = admitted();
        RoutingContext ctx = admission.ctx();
        IssuerRoute route = admission.route();
        HttpServerResponse response = ctx.response();
        PublishedBundle bundle = route.view().served();
        if (bundle == null) {
            return unavailable(response, route);
        }
        IssuerResolver issuers = route.issuers();
        HttpServerRequest request = ctx.request();
        String authority = admission.authority();
        String scheme = scheme(request);
        PreparedDocument document = bundle.discovery(issuers.issuer(scheme, authority), issuers.jwksUri(scheme, authority));
        if (varyOnForwarded) {
            response.headers().set(HttpHeaders.VARY, FORWARDED_NAMES);
        }
        return conditional(request, response, document, bundle.cacheControl());
    }

    /**
     * The trust domain's SPIFFE bundle, where its endpoint is on. Its path is any absolute path that does
     * not end like a document's (configuration refuses those), so this template, the least specific one,
     * receives it; the guard let through only the bundle paths of the chosen issuer.
     */
    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Path("{path: .*}")
    public Buffer spiffeBundle() {
        PublicRoutes.Admission admission = admitted();
        RoutingContext ctx = admission.ctx();
        IssuerRoute route = admission.route();
        HttpServerResponse response = ctx.response();
        PublishedBundle bundle = route.view().served();
        if (bundle == null) {
            return unavailable(response, route);
        }
        PreparedDocument document = bundle.spiffeBundle();
        if (document == null) {
            // A bundle without its X.509 authorities would make a federating server distrust every X.509-SVID.
            PublicRoutes.tagMetrics(NO_X509_YET_TEMPLATE);
            refusalHeaders(response);
            response.setStatusCode(503);
            return ErrorBodies.NO_X509_AUTHORITIES_YET;
        }
        return conditional(ctx.request(), response, document, bundle.cacheControl());
    }

    /**
     * The headers go onto the Vert.x response as prepared constants and the entity is the prepared buffer:
     * a plain entity with a fixed media type is RESTEasy's fast path (no Response object, no header map,
     * a writer chosen at build time), which a {@code RestResponse} would leave. Cache-Control comes with the
     * key set: its max-age follows that bundle's refresh hint.
     */
    private static Buffer conditional(HttpServerRequest request, HttpServerResponse response, PreparedDocument document,
            CharSequence cacheControl) {
        MultiMap headers = response.headers();
        headers.set(HttpHeaders.ETAG, document.etagHeader());
        headers.set(HttpHeaders.CACHE_CONTROL, cacheControl);
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
        headers.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        if (EntityTags.matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), document.etag())) {
            response.setStatusCode(304);
            return NO_BODY;
        }
        // Set here because HEAD, answered by the GET method with the body dropped, must carry it too.
        headers.set(HttpHeaders.CONTENT_LENGTH, document.contentLength());
        return document.wire();
    }

    /**
     * The issuer the guard chose. The metrics tag is the request's own path, as for the guard's answers: the
     * guard admitted only configured paths, so there is one series per document, not the template's regex.
     */
    private static PublicRoutes.Admission admitted() {
        PublicRoutes.Admission admission = PublicRoutes.Admission.current();
        PublicRoutes.tagMetrics(admission.ctx().request().path());
        return admission;
    }

    /** Before the issuer's first bundle, or after its trust domain was withdrawn. */
    private static Buffer unavailable(HttpServerResponse response, IssuerRoute route) {
        PublicRoutes.tagMetrics(NO_KEYS_YET_TEMPLATE);
        refusalHeaders(response);
        response.setStatusCode(503);
        return route.view().status().presence().withdrawn() ? ErrorBodies.TRUST_DOMAIN_WITHDRAWN : ErrorBodies.NO_KEYS_YET;
    }

    /** A 503 says when to come back and is never cached. */
    private static void refusalHeaders(HttpServerResponse response) {
        MultiMap headers = response.headers();
        headers.set(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        headers.set(HttpHeaders.CACHE_CONTROL, NO_STORE);
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
        headers.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
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
