package io.spiffeoidc.logging;

/**
 * The one rule for putting a value that came from outside (a key id, a trust domain name, a gRPC status
 * text, an exception message) into a log line or health data: printable ASCII only, bounded length.
 * Anything else, CR and LF and Unicode line separators included, becomes '?', so no input can start a
 * forged log line or smuggle terminal escapes. Double quotes become '?' too: values are often quoted.
 */
public final class LogSanitiser {

    public static final int MAX_CHARS = 256;

    private LogSanitiser() {
    }

    public static String clean(String value) {
        return clean(value, MAX_CHARS);
    }

    /** The same rule with a shorter bound, for values quoted inside a longer message. */
    public static String clean(String value, int maxChars) {
        if (value == null) {
            return "(none)";
        }
        int length = Math.min(value.length(), maxChars);
        StringBuilder out = new StringBuilder(length + 3);
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            out.append(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
        }
        if (value.length() > maxChars) {
            out.append("...");
        }
        return out.toString();
    }
}
