package io.spiffeoidc.http;

import io.spiffeoidc.config.HostSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which Host values the service answers for. A derived issuer comes from the Host header, so without
 * this check any client could make the service advertise an issuer of its choosing.
 */
public final class HostPolicy {

    private final HostSet allowed;

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
