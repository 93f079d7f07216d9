package io.spiffeoidc.config;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The normalised path prefix: empty for the root, otherwise "/segment[/segment...]" with no trailing
 * slash, so "{prefix}/keys" is never "//keys".
 */
public record PathPrefix(String value) {

    private static final Pattern SEGMENTS = Pattern.compile("(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*");

    public static final PathPrefix ROOT = new PathPrefix("");

    public static Optional<PathPrefix> parse(String configured) {
        return normalise(configured).map(PathPrefix::new);
    }

    public static Optional<String> normalise(String configured) {
        String trimmed = configured.endsWith("/") ? configured.substring(0, configured.length() - 1) : configured;
        if (!configured.startsWith("/") || !SEGMENTS.matcher(trimmed).matches()) {
            return Optional.empty();
        }
        for (String segment : trimmed.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
        }
        return Optional.of(trimmed);
    }
}
