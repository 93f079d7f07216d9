package io.spiffeoidc.http;

import io.vertx.core.buffer.Buffer;

/** Fixed error bodies: nothing from the request ever appears in a response. */
final class ErrorBodies {

    static final Buffer HOST_NOT_ALLOWED = json("host not allowed");
    static final Buffer NOT_FOUND = json("not found");
    static final Buffer METHOD_NOT_ALLOWED = json("method not allowed");
    static final Buffer NO_KEYS_YET = json("no signing keys available yet");
    static final Buffer NO_X509_AUTHORITIES_YET = json("no X.509 authorities available yet");
    static final Buffer TRUST_DOMAIN_WITHDRAWN = json("trust domain no longer delivered by the key source");
    static final Buffer BODY_NOT_ACCEPTED = json("request body not accepted");
    static final Buffer TOO_MANY_HEADERS = json("too many request headers");

    private ErrorBodies() {
    }

    private static Buffer json(String message) {
        return Buffer.buffer("{\"error\":\"" + message + "\"}");
    }
}
