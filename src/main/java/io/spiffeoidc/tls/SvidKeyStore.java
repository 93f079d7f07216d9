package io.spiffeoidc.tls;

import io.quarkus.arc.lookup.LookupIfProperty;
import io.quarkus.tls.KeyStoreAndKeyCertOptions;
import io.quarkus.tls.KeyStoreProvider;
import io.smallrye.common.annotation.Identifier;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;

/**
 * The public listener's key store when its certificate is the agent's X509-SVID: the TLS registry reads it here
 * at start-up and on each reload. It holds only what {@link SvidServingCertificate} has accepted, in memory.
 * Until then it is empty: the listener starts, and every handshake fails, which no client can mistake for a
 * served document (readiness says why).
 */
@ApplicationScoped
@Identifier(CertificateReloader.PUBLIC_TLS)
@LookupIfProperty(name = "spiffe-oidc.tls.serving-certificate", stringValue = "workload-api")
public class SvidKeyStore implements KeyStoreProvider {

    private volatile KeyCertFiles.Contents served;

    @Override
    public KeyStoreAndKeyCertOptions getKeyStore(Vertx vertx) {
        KeyCertFiles.Contents contents = served;
        try {
            if (contents == null) {
                KeyStore empty = KeyStore.getInstance("PKCS12");
                empty.load(null, null);
                KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(empty, new char[0]);
                return new KeyStoreAndKeyCertOptions(empty, KeyCertOptions.wrap(factory));
            }
            PemKeyCertOptions options = new PemKeyCertOptions().setCertValue(Buffer.buffer(contents.cert()))
                    .setKeyValue(Buffer.buffer(contents.key()));
            return new KeyStoreAndKeyCertOptions(options.loadKeyStore(vertx), options);
        } catch (Exception e) {
            // The content was checked before it was put here; only a JDK without PKCS12 could get here.
            throw new IllegalStateException("the X509-SVID key store cannot be built: " + e.getMessage(), e);
        }
    }

    KeyCertFiles.Contents served() {
        return served;
    }

    void serve(KeyCertFiles.Contents contents) {
        served = contents;
    }
}
