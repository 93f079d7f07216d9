package io.spiffeoidc.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The few Quarkus settings the start-up check reads: three that would undo guarantees of this service,
 * the public listener's protocol versions and cipher suites, the HTTPS certificate files, which are checked before the TLS registry loads them, and the public
 * listeners' ports, which a Host header may name. Mapped here so that they are checked together with
 * {@link ProviderConfig}, as the configuration is built.
 */
@ConfigMapping(prefix = "quarkus")
public interface QuarkusSettings {

    @WithName("http.proxy.proxy-address-forwarding")
    Optional<String> proxyAddressForwarding();

    @WithName("tls.public.reload-period")
    Optional<String> publicTlsReloadPeriod();

    @WithName("vertx.prefer-native-transport")
    Optional<String> preferNativeTransport();

    @WithName("http.port")
    OptionalInt httpPort();

    @WithName("http.ssl-port")
    OptionalInt httpsPort();

    @WithName("tls.public.protocols")
    Optional<List<String>> publicTlsProtocols();

    @WithName("tls.public.cipher-suites")
    Optional<List<String>> publicTlsCipherSuites();

    @WithName("tls.public.key-store.pem.0.cert")
    Optional<Path> publicCertFile();

    @WithName("tls.public.key-store.pem.0.key")
    Optional<Path> publicKeyFile();

    @WithName("http.insecure-requests")
    Optional<String> insecureRequests();
}
