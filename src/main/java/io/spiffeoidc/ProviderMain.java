package io.spiffeoidc;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.spiffeoidc.tls.InMemoryKeyStores;

/** The entry point of the packaged service: settings the JDK reads only once, then Quarkus. */
@QuarkusMain
public final class ProviderMain {

    private ProviderMain() {
    }

    public static void main(String... args) {
        InMemoryKeyStores.skipKeyStretching();
        Quarkus.run(args);
    }
}
