package io.spiffeoidc.spire;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What SPIRE's configuration file says, in this service's terms: the Quarkus profile it needs (plain-http
 * for a plain listener), the properties it sets, the health
 * listener it asks for and the lines to log at start.
 */
record SpireSettings(Path file, Optional<String> profile, Map<String, String> properties,
        Optional<HealthChecks> healthChecks, List<Notice> notices) {

    /** SPIRE's health_checks section: a plain-HTTP listener on all interfaces. */
    record HealthChecks(int port, String readyPath, String livePath) {
    }
}
