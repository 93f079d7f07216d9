package io.spiffeoidc.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The public listener's HTTPS settings the service acts on itself.
 *
 * @param reloadPeriod how often the certificate files are checked for a rotated pair; zero turns that off
 * @param nativeEngine serve HTTPS through BoringSSL when it loads
 * @param certFile     the PEM certificate file (quarkus.tls.public.key-store.pem.0.cert); empty without HTTPS
 * @param keyFile      its private key file (quarkus.tls.public.key-store.pem.0.key)
 * @param svidSocket   the Workload API socket the certificate comes from instead of files
 *                     (spiffe-oidc.tls.serving-certificate=workload-api); empty when it comes from files
 * @param parameters   lowest protocol version, TLS 1.2 cipher suites and key exchange groups of the listener
 */
public record TlsSettings(Duration reloadPeriod, boolean nativeEngine, Optional<Path> certFile, Optional<Path> keyFile,
        Optional<Path> svidSocket, TlsParameters parameters) {
}
