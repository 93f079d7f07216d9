package io.spiffeoidc.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.Locale;

/**
 * Host and scheme as reported by a trusted proxy: the first element of Forwarded (RFC 7239), else
 * X-Forwarded-Host / X-Forwarded-Proto. Only consulted when the operator says a proxy sets them.
 */
final class ForwardedHeaders {

    private ForwardedHeaders() {
    }

    /** The forwarded host, or null when no proxy header names one. */
    static String host(HttpServerRequest request) {
        String forwarded = request.getHeader("Forwarded");
        if (forwarded != null) {
            String host = parameter(forwarded, "host");
            if (host != null) {
                return host;
            }
        }
        return firstValue(request.getHeader("X-Forwarded-Host"));
    }

    /** "http" or "https" as forwarded, or null. */
    static String scheme(HttpServerRequest request) {
        String forwarded = request.getHeader("Forwarded");
        String proto = forwarded == null ? null : parameter(forwarded, "proto");
        if (proto == null) {
            proto = firstValue(request.getHeader("X-Forwarded-Proto"));
        }
        if (proto == null) {
            return null;
        }
        String lower = proto.toLowerCase(Locale.ROOT);
        return lower.equals("http") || lower.equals("https") ? lower : null;
    }

    private static String parameter(String forwarded, String name) {
        int comma = forwarded.indexOf(',');
        String first = comma < 0 ? forwarded : forwarded.substring(0, comma);
        for (String pair : first.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase(name)) {
                String value = pair.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    private static String firstValue(String header) {
        if (header == null) {
            return null;
        }
        int comma = header.indexOf(',');
        String value = (comma < 0 ? header : header.substring(0, comma)).trim();
        return value.isEmpty() ? null : value;
    }
}
