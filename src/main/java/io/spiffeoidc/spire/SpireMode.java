package io.spiffeoidc.spire;

import java.util.Optional;

/**
 * Whether this process runs as a drop-in for SPIRE's provider, and with which settings. Set once by the
 * entry point before Quarkus starts, then read by {@link SpireConfigSource} and the start-up beans.
 */
public final class SpireMode {

    private static volatile SpireSettings active;

    private SpireMode() {
    }

    /**
     * Reads SPIRE's command line and file when {@code args} are SPIRE's. Returns the one line to print
     * before exiting when they cannot be used.
     */
    public static Optional<String> enter(String... args) {
        try {
            Optional<SpireArguments> arguments = SpireArguments.parse(args);
            if (arguments.isPresent()) {
                active = SpireConfigFile.read(arguments.get().config(), arguments.get().expandEnv(), System::getenv);
                // The profile decides which defaults apply, so it is set where Quarkus reads it first.
                active.profile().ifPresent(profile -> System.setProperty("quarkus.profile", profile));
            }
            return Optional.empty();
        } catch (SpireConfigException e) {
            return Optional.of(e.getMessage());
        }
    }

    static Optional<SpireSettings> active() {
        return Optional.ofNullable(active);
    }

    /** The health listener SPIRE's file asks for, if it does. */
    public static Optional<SpireSettings.HealthChecks> healthChecks() {
        return active().flatMap(SpireSettings::healthChecks);
    }
}
