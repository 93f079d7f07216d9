package io.spiffeoidc.config;

import java.util.regex.Pattern;

/** Host name syntax shared by the configuration check and the per-request host policy. */
public final class HostName {

    // LDH labels (RFC 1123); internationalised names must arrive as punycode (xn--...).
    private static final Pattern LDH = Pattern.compile(
            "(?i)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9A-Fa-f:.]{2,45}]");

    private HostName() {
    }

    /** A DNS name in ASCII, an IPv4 address or a bracketed IPv6 literal; no port. */
    public static boolean isValid(String host) {
        return host.length() <= 253 && (LDH.matcher(host).matches() || IPV6_LITERAL.matcher(host).matches());
    }

    public static boolean isAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
