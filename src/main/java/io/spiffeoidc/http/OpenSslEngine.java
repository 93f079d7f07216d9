package io.spiffeoidc.http;

import io.netty.handler.ssl.OpenSsl;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.TlsParameters;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Serves HTTPS through BoringSSL (netty-tcnative) instead of the JDK's TLS engine when the native
 * library loads. Profiling the public listener showed most CPU in JDK AES-GCM and handshake code;
 * the native engine does the same work in a fraction of the time and keeps tail latency close to a
 * static-file server's. Certificates still come from the Quarkus TLS registry, reloads included.
 * Either engine gets the listener's cipher suites and key exchange groups from {@link ListenerTlsEngines}.
 */
@ApplicationScoped
public class OpenSslEngine implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(OpenSslEngine.class);

    @Inject
    ProviderSettings settings;

    @Override
    public void customizeHttpsServer(HttpServerOptions options) {
        TlsParameters parameters = settings.tls().parameters();
        if (parameters.suitesIgnored()) {
            LOG.infof("%s is not used: %s=TLSv1.3 makes TLS 1.3 the minimum, and TLS 1.3's suites are not"
                    + " configurable", TlsParameters.CIPHER_SUITES, TlsParameters.PROTOCOLS);
        }
        if (!parameters.groups().isEmpty()) {
            LOG.infof("HTTPS key exchange groups: %s", String.join(",", parameters.groups()));
        }
        if (settings.tls().nativeEngine() && OpenSsl.isAvailable()) {
            options.setSslEngineOptions(new ListenerTlsEngines.Native(parameters));
            LOG.infof("HTTPS uses the native TLS engine (%s)", OpenSsl.versionString());
            return;
        }
        if (settings.tls().nativeEngine()) {
            LOG.warnf("Native TLS engine unavailable (%s); HTTPS uses the JDK engine", OpenSsl.unavailabilityCause());
        }
        if (parameters.suitesIgnored() || !parameters.cipherSuites().isEmpty() || !parameters.groups().isEmpty()) {
            options.setSslEngineOptions(new ListenerTlsEngines.Jdk(parameters));
        }
    }
}
