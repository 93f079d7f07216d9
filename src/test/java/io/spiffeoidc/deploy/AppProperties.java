package io.spiffeoidc.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The application's own configuration (src/main/resources/application.properties), the reference the
 * deployment files are checked against: ports and management paths come from here, with Quarkus's
 * defaults where a key is not set.
 */
final class AppProperties {

    private final Properties properties = new Properties();

    private AppProperties(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    static AppProperties load() {
        return new AppProperties(Path.of("src/main/resources/application.properties"));
    }

    /** The production value of a key: the unprofiled one (the prod profile overrides none of these). */
    String get(String key, String defaultValue) {
        String prod = properties.getProperty("%prod." + key);
        if (prod != null) {
            return prod.trim();
        }
        return properties.getProperty(key, defaultValue).trim();
    }

    int httpsPort() {
        return Integer.parseInt(get("quarkus.http.ssl-port", "8443"));
    }

    int managementPort() {
        if (!Boolean.parseBoolean(get("quarkus.management.enabled", "false"))) {
            throw new IllegalStateException("the management interface is not enabled");
        }
        return Integer.parseInt(get("quarkus.management.port", "9000"));
    }

    /** The TLS configuration of the public listener: a named one, or "" for the default one. */
    String httpsTlsConfigurationName() {
        return get("quarkus.http.tls-configuration-name", "");
    }

    /** The property prefix of a TLS configuration: quarkus.tls. or quarkus.tls.<name>. */
    static String tlsPrefix(String name) {
        return name.isEmpty() ? "quarkus.tls." : "quarkus.tls." + name + ".";
    }

    /**
     * The PEM file ("cert" or "key") the public listener reads in production. Without a configured path
     * the service's documented default applies: the OpenShift / cert-manager secret layout in /var/run/tls.
     */
    String httpsPemFile(String which) {
        String key = tlsPrefix(httpsTlsConfigurationName()) + "key-store.pem.0." + which;
        return get(key, "/var/run/tls/tls." + ("cert".equals(which) ? "crt" : "key"));
    }

    /**
     * Whether the management interface serves TLS: Quarkus gives it the TLS configuration named for it,
     * or else the default TLS configuration when one has a key store (checked against the packaged
     * application: with quarkus.tls.key-store.pem.0.* set, port 9000 answers only HTTPS).
     */
    boolean managementTls(boolean defaultKeyStoreFromEnvironment) {
        if (!get("quarkus.management.tls-configuration-name", "").isEmpty()) {
            return true;
        }
        return defaultKeyStoreFromEnvironment || !get("quarkus.tls.key-store.pem.0.cert", "").isEmpty();
    }

    /** /q/health/ready and friends, as the management interface serves them. */
    String healthPath(String group) {
        String groupKey = switch (group) {
            case "ready" -> "quarkus.smallrye-health.readiness-path";
            case "live" -> "quarkus.smallrye-health.liveness-path";
            case "started" -> "quarkus.smallrye-health.startup-path";
            default -> throw new IllegalArgumentException(group);
        };
        return nonApplicationPath(get("quarkus.smallrye-health.root-path", "health")) + "/"
                + trimSlashes(get(groupKey, group));
    }

    String metricsPath() {
        return nonApplicationPath(get("quarkus.micrometer.export.prometheus.path", "metrics"));
    }

    private String nonApplicationPath(String path) {
        if (path.startsWith("/")) {
            return path;
        }
        return "/" + trimSlashes(get("quarkus.http.non-application-root-path", "q")) + "/" + trimSlashes(path);
    }

    private static String trimSlashes(String value) {
        return value.replaceAll("^/+", "").replaceAll("/+$", "");
    }
}
