package io.spiffeoidc.http;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.SSL;
import io.spiffeoidc.config.TlsParameters;
import io.spiffeoidc.tls.TlsEngines;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Vert.x engine options that give every SSL context of the public listener its cipher suites and key
 * exchange groups. They sit in the server's options, which Vert.x keeps across certificate reloads (a reload
 * hands Vert.x new SSLOptions built from the TLS registry, which knows nothing of groups). The suites are set
 * once per SSL context; the groups once per connection, on its engine as it is created (next to the protocols
 * Vert.x sets there), never per request. (tcnative's context-wide SSLContext.setCurvesList takes its own
 * context handle, which netty does not expose; the raw SSL_CTX pointer it does expose crashes it.)
 */
final class ListenerTlsEngines {

    private ListenerTlsEngines() {
    }

    /** BoringSSL, through netty-tcnative. */
    static final class Native extends OpenSSLEngineOptions {

        private final TlsParameters parameters;

        Native(TlsParameters parameters) {
            this.parameters = parameters;
            setSessionCacheEnabled(true);
        }

        private Native(Native other) {
            super(other);
            this.parameters = other.parameters;
        }

        @Override
        public Native copy() {
            return new Native(this);
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new Factory(super.sslContextFactory(), parameters);
        }
    }

    /** The JDK's engine. */
    static final class Jdk extends JdkSSLEngineOptions {

        private final TlsParameters parameters;

        Jdk(TlsParameters parameters) {
            this.parameters = parameters;
        }

        private Jdk(Jdk other) {
            super(other);
            this.parameters = other.parameters;
        }

        @Override
        public Jdk copy() {
            return new Jdk(this);
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new Factory(super.sslContextFactory(), parameters);
        }
    }

    /**
     * The suites the context is built with: the configured TLS 1.2 ones plus TLS 1.3's, which are always on
     * (as in Go and BoringSSL; the JDK engine would otherwise switch TLS 1.3 off); none configured, or TLS 1.3
     * the minimum, the engine's defaults.
     */
    static Set<String> suites(TlsParameters parameters) {
        if (parameters.cipherSuites().isEmpty()) {
            return Set.of();
        }
        Set<String> suites = new LinkedHashSet<>(TlsParameters.TLS13_SUITES);
        suites.addAll(parameters.cipherSuites());
        return suites;
    }

    /** Vert.x's own factory, with the listener's suites and, on what it creates, the listener's groups. */
    private static final class Factory implements SslContextFactory {

        private final SslContextFactory delegate;
        private final TlsParameters parameters;

        Factory(SslContextFactory delegate, TlsParameters parameters) {
            this.delegate = delegate;
            this.parameters = parameters;
        }

        @Override
        public SslContextFactory useAlpn(boolean useAlpn) {
            delegate.useAlpn(useAlpn);
            return this;
        }

        @Override
        public SslContextFactory clientAuth(ClientAuth clientAuth) {
            delegate.clientAuth(clientAuth);
            return this;
        }

        @Override
        public SslContextFactory forClient(boolean forClient) {
            delegate.forClient(forClient);
            return this;
        }

        @Override
        public SslContextFactory keyMananagerFactory(KeyManagerFactory kmf) {
            delegate.keyMananagerFactory(kmf);
            return this;
        }

        @Override
        public SslContextFactory trustManagerFactory(TrustManagerFactory tmf) {
            delegate.trustManagerFactory(tmf);
            return this;
        }

        /** The registry's list (quarkus.tls.public.cipher-suites) as validated at start, TLS 1.3's added. */
        @Override
        public SslContextFactory enabledCipherSuites(Set<String> enabledCipherSuites) {
            delegate.enabledCipherSuites(suites(parameters));
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> applicationProtocols) {
            delegate.applicationProtocols(applicationProtocols);
            return this;
        }

        @Override
        public SslContextFactory serverName(String serverName) {
            delegate.serverName(serverName);
            return this;
        }

        @Override
        public SslContext create() throws SSLException {
            SslContext context = delegate.create();
            return parameters.groups().isEmpty() ? context : new Groups(context, parameters.groups());
        }
    }

    /**
     * The groups, set on each engine as it is created, before its handshake: BoringSSL's through
     * SSL_set1_curves_list (as Vert.x sets its own post-quantum group), the JDK's through
     * SSLParameters.setNamedGroups (Java 20 and later). A list the engine refuses closes that engine, so a
     * connection never falls back to the engine's defaults.
     */
    private static final class Groups extends DelegatingSslContext {

        private final List<String> groups;
        private final String boringSslCurves;

        Groups(SslContext context, List<String> groups) {
            super(context);
            this.groups = groups;
            this.boringSslCurves = TlsEngines.boringSslCurves(groups);
        }

        @Override
        protected void initEngine(SSLEngine engine) {
            if (engine instanceof ReferenceCountedOpenSslEngine) {
                if (!SSL.setCurvesList(((ReferenceCountedOpenSslEngine) engine).sslPointer(), boringSslCurves)) {
                    engine.closeOutbound();
                }
                return;
            }
            SSLParameters sslParameters = engine.getSSLParameters();
            if (!TlsEngines.setNamedGroups(sslParameters, groups)) {
                engine.closeOutbound();
                return;
            }
            engine.setSSLParameters(sslParameters);
        }
    }
}
