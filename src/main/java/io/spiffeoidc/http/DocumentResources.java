package io.spiffeoidc.http;

import io.smallrye.common.annotation.NonBlocking;
import io.spiffeoidc.bundle.PreparedDocument;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.jboss.resteasy.reactive.RestResponse;

/**
 * The two documents. The path prefix is runtime configuration while a {@code @Path} is fixed at build
 * time, so each template accepts any prefix and {@link PublicRoutes}, which runs first, lets only the
 * configured paths through. Methods run on the event loop and return the snapshot's prepared buffer,
 * which RESTEasy hands to Vert.x as it is: no JSON work and no copy per request. GET also answers HEAD.
 */
@Path("/")
public class DocumentResources {

    private static final String APPLICATION_JSON = "application/json";
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
    private static final CharSequence ANY_ORIGIN = HttpHeaders.createOptimized("*");
    private static final String X_CONTENT_TYPE_OPTIONS = "X-Content-Type-Options";
    private static final CharSequence RETRY_AFTER_SECONDS = HttpHeaders.createOptimized("5");
    private static final CharSequence FORWARDED_NAMES = HttpHeaders.createOptimized(ForwardedHeaders.NAMES);
    private static final String NO_KEYS_YET_TEMPLATE = "NO_KEYS_YET";

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

    @GET
    @NonBlocking
    @Path("{prefix: .*}keys")
    public RestResponse<Buffer> keys(RoutingContext ctx) {
        IssuerRoute route = route(ctx);
        PublishedBundle bundle = route.publisher().served();
        if (bundle == null) {
            return unavailable(route);
        }
        return conditional(ctx.request(), bundle.jwks(), bundle.cacheControl()).build();
    }

    @GET
    @NonBlocking
    @Path("{prefix: .*}.well-known/openid-configuration")
    public RestResponse<Buffer> discovery(RoutingContext ctx) {
        IssuerRoute route = route(ctx);
        PublishedBundle bundle = route.publisher().served();
        if (bundle == null) {
            return unavailable(route);
        }
        IssuerResolver issuers = route.issuers();
        HttpServerRequest request = ctx.request();
        String authority = ctx.get(PublicRoutes.AUTHORITY);
        String scheme = scheme(request);
        PreparedDocument document = bundle.discovery(issuers.issuer(scheme, authority), issuers.jwksUri(scheme, authority));
        RestResponse.ResponseBuilder<Buffer> response = conditional(request, document, bundle.cacheControl());
        if (varyOnForwarded) {
            response.header(HttpHeaders.VARY.toString(), FORWARDED_NAMES);
        }
        return response.build();
    }

    /** Cache-Control comes with the key set: its max-age follows that bundle's refresh hint. */
    private static RestResponse.ResponseBuilder<Buffer> conditional(HttpServerRequest request, PreparedDocument document,
            CharSequence cacheControl) {
        RestResponse.ResponseBuilder<Buffer> response;
        if (EntityTags.matches(request.getHeader(HttpHeaders.IF_NONE_MATCH), document.etag())) {
            response = RestResponse.ResponseBuilder.create(RestResponse.Status.NOT_MODIFIED);
        } else {
            // Set here because HEAD, answered by the GET method with the body dropped, must carry it too.
            response = RestResponse.ResponseBuilder.ok(document.wire(), APPLICATION_JSON)
                    .header(HttpHeaders.CONTENT_LENGTH.toString(), document.contentLength());
        }
        return response
                .header(HttpHeaders.ETAG.toString(), document.etagHeader())
                .header(HttpHeaders.CACHE_CONTROL.toString(), cacheControl)
                .header(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN.toString(), ANY_ORIGIN)
                .header(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    }

    /**
     * The issuer the guard chose. The metrics tag is the request's own path, as for the guard's answers: the
     * guard admitted only configured paths, so there is one series per document, not the template's regex.
     */
    private static IssuerRoute route(RoutingContext ctx) {
        PublicRoutes.tagMetrics(ctx.request().path());
        return ctx.get(PublicRoutes.ROUTE);
    }

    /** Before the issuer's first bundle, or after its trust domain was withdrawn. */
    private static RestResponse<Buffer> unavailable(IssuerRoute route) {
        PublicRoutes.tagMetrics(NO_KEYS_YET_TEMPLATE);
        Buffer body = route.publisher().withdrawn() ? ErrorBodies.TRUST_DOMAIN_WITHDRAWN : ErrorBodies.NO_KEYS_YET;
        return RestResponse.ResponseBuilder.create(RestResponse.Status.SERVICE_UNAVAILABLE, body)
                .type(APPLICATION_JSON)
                .header(HttpHeaders.RETRY_AFTER.toString(), RETRY_AFTER_SECONDS)
                .header(HttpHeaders.CACHE_CONTROL.toString(), NO_STORE)
                .header(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN.toString(), ANY_ORIGIN)
                .header(X_CONTENT_TYPE_OPTIONS, NOSNIFF)
                .build();
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
