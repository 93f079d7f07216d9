package io.spiffeoidc.http;

import io.netty.handler.ssl.OpenSsl;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.spiffeoidc.config.ProviderSettings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Serves HTTPS through BoringSSL (netty-tcnative) instead of the JDK's TLS engine when the native
 * library loads. Profiling the public listener showed most CPU in JDK AES-GCM and handshake code;
 * the native engine does the same work in a fraction of the time and keeps tail latency close to a
 * static-file server's. Certificates still come from the Quarkus TLS registry, reloads included.
 */
@ApplicationScoped
public class OpenSslEngine implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(OpenSslEngine.class);

    @Inject
    ProviderSettings settings;

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        if (!settings.tls().nativeEngine()) {
            return;
        }
        if (OpenSsl.isAvailable()) {
            options.setSslEngineOptions(new OpenSSLEngineOptions().setSessionCacheEnabled(true));
            LOG.infof("HTTPS uses the native TLS engine (%s)", OpenSsl.versionString());
        } else {
            LOG.warnf("Native TLS engine unavailable (%s); HTTPS uses the JDK engine", OpenSsl.unavailabilityCause());
        }
    }
}
