package io.spiffeoidc;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.spiffeoidc.spire.SpireHealthListener;
import io.spiffeoidc.spire.SpireMode;
import io.spiffeoidc.tls.InMemoryKeyStores;
import java.util.Optional;

/**
 * The entry point of the packaged service: settings the JDK reads only once, SPIRE's command line and
 * file when given ({@code -config <path> [-expandEnv]}), then Quarkus.
 */
@QuarkusMain
public final class ProviderMain {

    private ProviderMain() {
    }

    public static void main(String... args) {
        InMemoryKeyStores.skipKeyStretching();
        exitOn(SpireMode.enter(args));
        exitOn(SpireHealthListener.start());
        Quarkus.run(args);
    }

    /** A start-up problem is one line and exit status 1, never a stack trace. */
    private static void exitOn(Optional<String> problem) {
        problem.ifPresent(line -> {
            System.err.println(line);
            System.exit(1);
        });
    }
}
