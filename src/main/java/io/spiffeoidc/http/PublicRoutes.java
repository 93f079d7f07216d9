package io.spiffeoidc.http;

import io.quarkus.runtime.LaunchMode;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Every request on the public listener goes through this one handler ahead of Quarkus REST: body and
 * header-line limits, host check, then 404 for any path but the issuers' documents (and SPIFFE bundles
 * where those are on) and 405 for any method but GET and HEAD, all with fixed JSON bodies and fixed metric
 * tags. This is the one place that decides which issuer, which document and which authority a request is
 * for; only what passes reaches {@link DocumentResources}, which serves that decision, so Quarkus REST
 * never answers a refusal with its own body.
 */
@ApplicationScoped
public class PublicRoutes {

    /**
     * Vert.x bounds the header block's size (quarkus.http.limits.max-header-size) but not the number of
     * header lines. Browsers send about 15 and a mesh sidecar adds about 15 more; 64 leaves room for both.
     */
    static final int MAX_REQUEST_HEADERS = 64;

    /**
     * Context local the HTTP server metrics read the uri tag from. Every refusal gets a fixed tag: 4xx and
     * 5xx answers without one are tagged UNKNOWN (suppress4xx-errors), and 404 is tagged NOT_FOUND.
     */
    private static final String METRICS_PATH_TEMPLATE = "UrlPathTemplate";
    private static final String REJECTED_HOST_TEMPLATE = "HOST_NOT_ALLOWED";
    private static final String METHOD_NOT_ALLOWED_TEMPLATE = "METHOD_NOT_ALLOWED";
    private static final String BODY_NOT_ACCEPTED_TEMPLATE = "BODY_NOT_ACCEPTED";
    private static final String TOO_MANY_HEADERS_TEMPLATE = "TOO_MANY_HEADERS";

    private final HostPolicy hostPolicy;
    private final IssuerRoutes routes;
    private final boolean trustForwarded;
    private final boolean devMode;

    @Inject
    public PublicRoutes(HostPolicy hostPolicy, IssuerRoutes routes, ProviderSettings config) {
        this.hostPolicy = hostPolicy;
        this.routes = routes;
        this.trustForwarded = config.trustForwardedHeaders();
        this.devMode = LaunchMode.current() == LaunchMode.DEVELOPMENT;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::handle).failureHandler(this::refusedByRouter);
    }

    /**
     * Vert.x refuses some requests before any handler runs: HTTP/1.1 without Host, HTTP/2 without
     * :authority (400), a request target that is not a path such as CONNECT's host:port (404). Answer
     * them like the service's own refusals rather than with the generic error page, which logs one ERROR
     * line per request, and apply the host rule first as on every other path.
     */
    void refusedByRouter(RoutingContext ctx) {
        RequestHeadDeadline.requestHeadReceived(ctx);
        int status = ctx.statusCode();
        HttpServerResponse response = ctx.response();
        String path = ctx.request().path();
        if ((status != 400 && status != 404) || response.headWritten() || (devMode && path != null && path.startsWith("/q/"))) {
            ctx.next();
            return;
        }
        if (status == 400 || hostPolicy.admit(ctx.request().host(), localPort(ctx.request())) == null) {
            tagMetrics(REJECTED_HOST_TEMPLATE);
            Answers.refuse(response, 400, Answers.HOST_NOT_ALLOWED);
        } else {
            Answers.refuse(response, 404, Answers.NOT_FOUND);
        }
    }

    /**
     * RFC 9112 section 3.2: more than one Host field is a 400. An absolute-form target names the authority
     * itself (section 3.2.2), so it has to pass the allow-list as well as the Host field.
     */
    private boolean hostFieldsAcceptable(HttpServerRequest request, int localPort) {
        if (request.version() == HttpVersion.HTTP_2) {
            return true;
        }
        if (request.headers().getAll(HttpHeaders.HOST).size() > 1) {
            return false;
        }
        String target = request.uri();
        int scheme = target.regionMatches(true, 0, "http://", 0, 7) ? 7 : target.regionMatches(true, 0, "https://", 0, 8) ? 8 : -1;
        if (scheme < 0) {
            return true;
        }
        int end = scheme;
        while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
            end++;
        }
        return hostPolicy.admit(target.substring(scheme, end), localPort) != null;
    }

    /** The port the request's connection was accepted on (Vert.x keeps the address per connection); -1 for a Unix socket. */
    private static int localPort(HttpServerRequest request) {
        SocketAddress local = request.localAddress();
        return local == null ? -1 : local.port();
    }

    void handle(RoutingContext ctx) {
        RequestHeadDeadline.requestHeadReceived(ctx);
        HttpServerRequest request = ctx.request();
        String path = request.path();
        if (devMode && path.startsWith("/q/")) {
            ctx.next(); // the dev UI lives on this router in dev mode only
            return;
        }
        HttpServerResponse response = ctx.response();
        if (hasBody(request)) {
            refuseBody(request, response);
            return;
        }
        if (HeaderLines.count(request.headers()) > MAX_REQUEST_HEADERS) {
            tagMetrics(TOO_MANY_HEADERS_TEMPLATE);
            Answers.refuse(response, 431, Answers.TOO_MANY_HEADERS);
            return;
        }
        String forwardedHost = trustForwarded ? ForwardedHeaders.host(request) : null;
        int localPort = localPort(request);
        Authority authority = hostPolicy.admit(forwardedHost != null ? forwardedHost : request.host(), localPort);
        if (authority == null || !hostFieldsAcceptable(request, localPort)) {
            tagMetrics(REJECTED_HOST_TEMPLATE);
            Answers.refuse(response, 400, Answers.HOST_NOT_ALLOWED);
            return;
        }
        // Issuer and document are chosen from host and exact path before anything else: only that issuer's
        // own snapshot can answer.
        DocumentRoute route = routes.find(authority, path);
        if (route == null) {
            Answers.refuse(response, 404, Answers.NOT_FOUND);
            return;
        }
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            tagMetrics(METHOD_NOT_ALLOWED_TEMPLATE);
            response.headers().set(HttpHeaders.ALLOW, Answers.GET_HEAD);
            Answers.refuse(response, 405, Answers.METHOD_NOT_ALLOWED);
            return;
        }
        // The documents are served by the Quarkus REST resources (DocumentResources), reached only past this point.
        new Admission(ctx, route, authority).hand();
        // Run after Quarkus REST's own headers-end handler, which is registered later: the context runs them last first.
        ctx.addHeadersEndHandler(ignored -> Answers.plainJsonMediaType(response));
        ctx.next();
    }

    static void tagMetrics(String template) {
        Vertx.currentContext().putLocal(METRICS_PATH_TEMPLATE, template);
    }

    /**
     * Nothing here takes a body. Over HTTP/1.x the connection is closed after the answer, which spares
     * reading a body only to discard it (Vert.x keeps a connection open for a "Connection: close" response
     * header alone); over HTTP/2 only the stream ends.
     */
    private static void refuseBody(HttpServerRequest request, HttpServerResponse response) {
        tagMetrics(BODY_NOT_ACCEPTED_TEMPLATE);
        if (request.version() == HttpVersion.HTTP_2) {
            Answers.refuse(response, 413, Answers.BODY_NOT_ACCEPTED);
            return;
        }
        response.headers().set(HttpHeaders.CONNECTION, Answers.CLOSE);
        Answers.refuse(response, 413, Answers.BODY_NOT_ACCEPTED).onComplete(sent -> request.connection().close());
    }

    private static boolean hasBody(HttpServerRequest request) {
        if (request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            return true;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return length != null && !length.equals("0");
    }
}
