package io.spiffeoidc.http;

/**
 * An admitted authority: the host name in lower case, and the authority that derived URLs use, which is
 * the host with the request's port only where {@link HostPolicy} keeps that port.
 */
record Authority(String host, String value) {
}
