package io.spiffeoidc.config;

import java.nio.file.Path;
import java.util.Optional;

/** A Unix domain socket path in the forms SPIFFE_ENDPOINT_SOCKET allows: unix:///path, unix:/path or /path. */
public final class UnixSocketAddress {

    private UnixSocketAddress() {
    }

    public static Optional<Path> parse(String value) {
        String path;
        if (value.startsWith("unix://")) {
            path = value.substring("unix://".length());
        } else if (value.startsWith("unix:")) {
            path = value.substring("unix:".length());
        } else {
            path = value;
        }
        if (!path.startsWith("/") || path.length() < 2 || path.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        return Optional.of(Path.of(path));
    }
}
