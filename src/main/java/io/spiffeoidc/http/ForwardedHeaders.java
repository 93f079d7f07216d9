package io.spiffeoidc.http;

import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;

/**
 * Host and scheme as reported by a trusted proxy: the right-most element of Forwarded (RFC 7239), else
 * the right-most X-Forwarded-Host / X-Forwarded-Proto value. Each proxy appends its own element, so the
 * right-most one is what the nearest proxy (the trusted one) saw; anything left of it came from the client
 * or from hops the service cannot vouch for. Only consulted when the operator says a proxy sets them.
 */
final class ForwardedHeaders {

    /** Names for the Vary header of documents derived from them. */
    static final String NAMES = "Forwarded, X-Forwarded-Host, X-Forwarded-Proto";

    private ForwardedHeaders() {
    }

    /** The forwarded host, or null when no proxy header names one. */
    static String host(HttpServerRequest request) {
        String host = parameter(lastField(request, "Forwarded"), "host");
        return host != null ? host : lastValue(lastField(request, "X-Forwarded-Host"));
    }

    /** "http" or "https" as forwarded, or null. */
    static String scheme(HttpServerRequest request) {
        String proto = parameter(lastField(request, "Forwarded"), "proto");
        if (proto == null) {
            proto = lastValue(lastField(request, "X-Forwarded-Proto"));
        }
        if (proto == null) {
            return null;
        }
        String lower = proto.toLowerCase(Locale.ROOT);
        return lower.equals("http") || lower.equals("https") ? lower : null;
    }

    /** A proxy may append a field line of its own rather than extend the client's. */
    private static String lastField(HttpServerRequest request, String name) {
        List<String> fields = request.headers().getAll(name);
        return fields.isEmpty() ? null : fields.get(fields.size() - 1);
    }

    /** A parameter of the right-most forwarded-element; quoted strings may hold ',' and ';'. */
    static String parameter(String forwarded, String name) {
        if (forwarded == null) {
            return null;
        }
        int start = afterLastSeparator(forwarded, ',', 0);
        while (start <= forwarded.length()) {
            int end = nextSeparator(forwarded, ';', start);
            String pair = forwarded.substring(start, end);
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase(name)) {
                String value = unquote(pair.substring(eq + 1).trim());
                return value.isEmpty() ? null : value;
            }
            start = end + 1;
        }
        return null;
    }

    private static String lastValue(String header) {
        if (header == null) {
            return null;
        }
        String value = header.substring(header.lastIndexOf(',') + 1).trim();
        return value.isEmpty() ? null : value;
    }

    private static int afterLastSeparator(String value, char separator, int from) {
        int after = from;
        for (int i = nextSeparator(value, separator, from); i < value.length(); i = nextSeparator(value, separator, i + 1)) {
            after = i + 1;
        }
        return after;
    }

    /** Index of the next separator outside a quoted string, or the length. */
    private static int nextSeparator(String value, char separator, int from) {
        boolean quoted = false;
        for (int i = from; i < value.length(); i++) {
            char c = value.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == separator && !quoted) {
                return i;
            }
        }
        return value.length();
    }

    private static String unquote(String value) {
        if (value.length() < 2 || value.charAt(0) != '"' || value.charAt(value.length() - 1) != '"') {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() - 2);
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length() - 1) {
                c = value.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }
}
