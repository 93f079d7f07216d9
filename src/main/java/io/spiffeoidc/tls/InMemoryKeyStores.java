package io.spiffeoidc.tls;

import java.security.Security;

/**
 * Vert.x turns the PEM certificate and key into a PKCS#12 key store that lives only in memory, locked
 * with a password written in its own source. The JDK still protects the key entry with PBKDF2 at
 * 10,000 iterations, twice per load (store, then read back), and the TLS registry loads it more than
 * once at start-up: on one CPU that alone took about 0.6 s of a 2.7 s start. The iterations protect
 * nothing here, so new key stores use one, unless the operator has set the property. Reading a
 * PKCS#12 file is unaffected: it carries its own parameters.
 */
public final class InMemoryKeyStores {

    static final String ITERATIONS_PROPERTY = "keystore.pkcs12.keyPbeIterationCount";

    private InMemoryKeyStores() {
    }

    /** Call before Quarkus starts; a value set by the operator, on the command line or in java.security, wins. */
    public static void skipKeyStretching() {
        if (System.getProperty(ITERATIONS_PROPERTY) == null && Security.getProperty(ITERATIONS_PROPERTY) == null) {
            System.setProperty(ITERATIONS_PROPERTY, "1");
        }
    }
}
