package io.spiffeoidc.http;

import io.spiffeoidc.bundle.PreparedDocument;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Every answer's fixed parts, prepared once: the headers, the error bodies (nothing from the request ever
 * appears in a response) and the three ways an answer is written: a refusal by the guard, a 503 and a
 * document, both returned to Quarkus REST as the entity.
 */
final class Answers {

    static final Buffer HOST_NOT_ALLOWED = json("host not allowed");
    static final Buffer NOT_FOUND = json("not found");
    static final Buffer METHOD_NOT_ALLOWED = json("method not allowed");
    static final Buffer NO_KEYS_YET = json("no signing keys available yet");
    static final Buffer NO_X509_AUTHORITIES_YET = json("no X.509 authorities available yet");
    static final Buffer TRUST_DOMAIN_WITHDRAWN = json("trust domain no longer delivered by the key source");
    static final Buffer BODY_NOT_ACCEPTED = json("request body not accepted");
    static final Buffer TOO_MANY_HEADERS = json("too many request headers");

    static final CharSequence GET_HEAD = HttpHeaders.createOptimized("GET, HEAD");
    static final CharSequence CLOSE = HttpHeaders.createOptimized("close");
    static final CharSequence FORWARDED_NAMES = HttpHeaders.createOptimized(ForwardedHeaders.NAMES);

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
    private static final CharSequence ANY_ORIGIN = HttpHeaders.createOptimized("*");
    private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");
    private static final CharSequence RETRY_AFTER_SECONDS = HttpHeaders.createOptimized("5");
    private static final Buffer NO_BODY = Buffer.buffer(0);

    private Answers() {
    }

    /** A refusal of the guard's, which ends the response itself. */
    static Future<Void> refuse(HttpServerResponse response, int status, Buffer body) {
        MultiMap headers = response.headers();
        headers.set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        headers.set(HttpHeaders.CACHE_CONTROL, NO_STORE);
        headers.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
        return response.setStatusCode(status).end(body);
    }

    /** A 503 says when to come back and is never cached. */
    static Buffer unavailable(HttpServerResponse response, Buffer body) {
        MultiMap headers = response.headers();
        headers.set(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
        headers.set(HttpHeaders.CACHE_CONTROL, NO_STORE);
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
        headers.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        response.setStatusCode(503);
        return body;
    }

    /**
     * A document, answered conditionally. The headers go onto the Vert.x response as prepared constants and
     * the entity is the prepared buffer: a plain entity with a fixed media type is Quarkus REST's fast path
     * (no Response object, no header map, a writer chosen at build time). Cache-Control comes with the key
     * set: its max-age follows that bundle's refresh hint.
     */
    static Buffer document(HttpServerRequest request, HttpServerResponse response, PreparedDocument document,
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
     * Quarkus REST's fixed-media-type fast path writes {@code application/json;charset=UTF-8}, but the
     * application/json registration defines no charset parameter (RFC 8259, section 11) and the documents
     * have always been sent as plain {@code application/json}; a 304 carries no media type at all.
     */
    static void plainJsonMediaType(HttpServerResponse response) {
        MultiMap headers = response.headers();
        if (response.getStatusCode() == 304) {
            headers.remove(HttpHeaders.CONTENT_TYPE);
        } else {
            headers.set(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON);
        }
    }

    private static Buffer json(String message) {
        return Buffer.buffer("{\"error\":\"" + message + "\"}");
    }
}
