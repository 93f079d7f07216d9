package io.spiffeoidc.http;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
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
 * hands Vert.x new SSLOptions built from the TLS registry, which knows nothing of groups), and they act once
 * per SSL context, never per request: BoringSSL takes the groups on the context itself; the JDK engine has no
 * context-wide setting, so each new engine gets them as it is set up, next to the protocols Vert.x sets there.
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
            List<String> groups = parameters.groups();
            if (groups.isEmpty()) {
                return context;
            }
            if (context instanceof ReferenceCountedOpenSslContext) {
                long pointer = ((ReferenceCountedOpenSslContext) context).sslCtxPointer();
                if (!io.netty.internal.tcnative.SSLContext.setCurvesList(pointer, TlsEngines.boringSslCurves(groups))) {
                    throw new SSLException("BoringSSL refused the key exchange groups " + groups);
                }
                return context;
            }
            return new JdkGroups(context, groups);
        }
    }

    /** The JDK engine's groups, set on each engine (SSLParameters.setNamedGroups, Java 20 and later). */
    private static final class JdkGroups extends DelegatingSslContext {

        private final List<String> groups;

        JdkGroups(SslContext context, List<String> groups) {
            super(context);
            this.groups = groups;
        }

        @Override
        protected void initEngine(SSLEngine engine) {
            SSLParameters sslParameters = engine.getSSLParameters();
            if (!TlsEngines.setNamedGroups(sslParameters, groups)) {
                throw new IllegalStateException("SSLParameters.setNamedGroups needs Java 20 or later");
            }
            engine.setSSLParameters(sslParameters);
        }
    }
}
