package io.spiffeoidc.http;

import io.spiffeoidc.config.HostSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which Host values the service answers for. A derived issuer comes from the Host header, so without
 * this check any client could make the service advertise an issuer of its choosing.
 */
public final class HostPolicy {

    /**
     * Authorities already admitted, as sent, with the authority to use: a request carries the same few Host
     * values again and again, and a hit costs a hash and a comparison where the check cuts and lower-cases
     * the value. Only admitted values enter, so refused hosts cannot fill it, and it stops growing at
     * {@link #MAX_REMEMBERED} (one host name with many ports, say); past that the check simply runs.
     */
    private static final int MAX_REMEMBERED = 64;

    private final HostSet allowed;
    private final ConcurrentHashMap<String, String> admitted = new ConcurrentHashMap<>();

    /** The hosts are lower case and valid already, which keeps the syntax check off the request path. */
    public HostPolicy(HostSet allowed) {
        this.allowed = allowed;
    }

    public Set<String> allowed() {
        return allowed.names();
    }

    /**
     * The authority to use in derived URLs (host in lower case, port as sent), or null when the value is
     * malformed, not ASCII, or names a host outside the allow-list. The port is not part of the check.
     */
    public String admit(String authority) {
        if (authority == null) {
            return null;
        }
        String remembered = admitted.get(authority);
        if (remembered != null) {
            return remembered;
        }
        String result = check(authority);
        if (result != null && admitted.size() < MAX_REMEMBERED) {
            admitted.putIfAbsent(authority, result);
        }
        return result;
    }

    private String check(String authority) {
        if (authority == null || authority.isEmpty() || authority.length() > 300 || !isVisibleAscii(authority)) {
            return null;
        }
        String host;
        String port;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = authority.substring(0, close + 1);
            String rest = authority.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                return null;
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            port = colon < 0 ? null : authority.substring(colon + 1);
        }
        if (port != null && !isPort(port)) {
            return null;
        }
        String lower = host.toLowerCase(Locale.ROOT);
        if (!allowed.contains(lower)) {
            return null;
        }
        if (lower.equals(host)) {
            return authority;
        }
        return port == null ? lower : lower + ":" + port;
    }

    private static boolean isPort(String port) {
        if (port.isEmpty() || port.length() > 5) {
            return false;
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(port) <= 65535;
    }

    private static boolean isVisibleAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
