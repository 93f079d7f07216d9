package io.spiffeoidc.tls;

import io.quarkus.arc.lookup.LookupIfProperty;
import io.quarkus.tls.KeyStoreAndKeyCertOptions;
import io.quarkus.tls.KeyStoreProvider;
import io.smallrye.common.annotation.Identifier;
import io.vertx.core.Vertx;
import io.vertx.core.net.KeyCertOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.KeyStore;
import java.security.KeyStoreException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;

/**
 * The public listener's key material when its certificate is the agent's X509-SVID: the TLS registry takes it
 * from here once, at start-up, and the listener keeps asking {@link SvidKeyManager} on every handshake, so an
 * accepted SVID is in use from the next handshake on without the registry being reloaded. The key store the
 * registry also wants is empty: the key lives only in the key manager's memory. Before the first SVID no alias
 * is offered and every handshake fails, which no client can mistake for a served document.
 */
@ApplicationScoped
@Identifier(CertificateReloader.PUBLIC_TLS)
@LookupIfProperty(name = "spiffe-oidc.tls.serving-certificate", stringValue = "workload-api")
public class SvidKeyStore implements KeyStoreProvider {

    private final SvidKeyManager keyManager = new SvidKeyManager();

    @Override
    public KeyStoreAndKeyCertOptions getKeyStore(Vertx vertx) {
        try {
            KeyStore empty = KeyStore.getInstance("PKCS12");
            empty.load(null, null);
            return new KeyStoreAndKeyCertOptions(empty, KeyCertOptions.wrap(new Factory(keyManager)));
        } catch (Exception e) {
            // Only a JDK without PKCS12 could get here.
            throw new IllegalStateException("no in-memory key store for the X509-SVID: " + e.getMessage(), e);
        }
    }

    void serve(SvidKeyManager.Material material) {
        keyManager.serve(material);
    }

    /** A factory whose one key manager is the SVID's; initialising it changes nothing. */
    private static final class Factory extends KeyManagerFactory {

        Factory(SvidKeyManager keyManager) {
            super(new KeyManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore keyStore, char[] password) throws KeyStoreException {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters parameters) {
                }

                @Override
                protected KeyManager[] engineGetKeyManagers() {
                    return new KeyManager[] {keyManager};
                }
            }, null, "X509-SVID");
        }
    }
}
