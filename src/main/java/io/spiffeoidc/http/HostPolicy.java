package io.spiffeoidc.http;

import io.spiffeoidc.config.HostSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which Host values the service answers for, and the authority each stands for. A derived issuer comes
 * from the Host header, so without this check any client could make the service advertise an issuer of its
 * choosing.
 *
 * <p>A port is kept only where the service is reached on it: a port the configuration lists (the
 * listeners' configured ports, the ports of configured issuer and jwks_uri URLs) or the one the request's
 * connection was accepted on. Any other port stands for the host alone, so the authorities a client can
 * produce are finitely many and known at start: every one that does not depend on the connection is
 * prepared here, and nothing downstream keyed by authority (derived URLs, rendered discovery documents)
 * can be grown by inventing ports.
 */
public final class HostPolicy {

    private final Set<String> allowed;
    private final Set<Integer> ports;
    /** Every authority that names an allowed host with a listed port or none, as sent in lower case. */
    private final Map<String, Authority> prepared = new HashMap<>();

    /** The hosts are lower case and valid already, which keeps the syntax check off the request path. */
    public HostPolicy(HostSet allowed, Set<Integer> ports) {
        this.allowed = allowed.names();
        this.ports = Set.copyOf(ports);
        for (String host : this.allowed) {
            prepared.put(host, new Authority(host, host));
            for (int port : this.ports) {
                String authority = host + ":" + port;
                prepared.put(authority, new Authority(host, authority));
            }
        }
    }

    public Set<String> allowed() {
        return allowed;
    }

    /**
     * The authority a Host value stands for, or null when it is malformed, not ASCII, or names a host
     * outside the allow-list. An authority as sent in lower case costs one lookup; anything else is cut,
     * lower-cased and looked up again.
     *
     * @param localPort the port the request's connection was accepted on, -1 for a Unix socket
     */
    Authority admit(String authority, int localPort) {
        if (authority == null) {
            return null;
        }
        Authority known = prepared.get(authority);
        return known != null ? known : check(authority, localPort);
    }

    private Authority check(String authority, int localPort) {
        if (authority.isEmpty() || authority.length() > 300 || !isVisibleAscii(authority)) {
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
        Authority hostAlone = allowed.contains(lower) ? prepared.get(lower) : null;
        if (hostAlone == null || port == null) {
            return hostAlone;
        }
        int number = Integer.parseInt(port);
        if (ports.contains(number)) {
            return prepared.get(lower + ":" + number);
        }
        return number == localPort ? new Authority(lower, lower + ":" + number) : hostAlone;
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
