package io.spiffeoidc.http;

/**
 * Which document of which issuer a request path names: what the guard decides, once, and the resources
 * serve. One of each per configured path, prepared when the routes are built.
 */
record DocumentRoute(IssuerRoute issuer, Document document) {

    enum Document {
        KEYS, DISCOVERY, SPIFFE_BUNDLE
    }
}
