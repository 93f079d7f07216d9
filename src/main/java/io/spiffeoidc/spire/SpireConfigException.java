package io.spiffeoidc.spire;

import java.nio.file.Path;
import java.util.List;

/** SPIRE's file cannot be used; the message is the one line printed before the process exits. */
final class SpireConfigException extends Exception {

    private static final long serialVersionUID = 1L;

    SpireConfigException(Path file, List<String> problems) {
        super("Invalid SPIRE configuration " + file + ": " + String.join("; ", problems));
    }

    SpireConfigException(String message) {
        super(message);
    }
}
