package io.spiffeoidc.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service's public configuration contract. Every property can also be set as an environment
 * variable (spiffe-oidc.cache-max-age is SPIFFE_OIDC_CACHE_MAX_AGE). {@link ConfigProblems} checks the
 * combinations at start-up.
 */
@ConfigMapping(prefix = "spiffe-oidc")
public interface ProviderConfig {

    /** Where the keys come from. */
    @WithDefault("workload-api")
    SourceKind source();

    /** Trust domain whose JWT keys are published: example.org or spiffe://example.org. */
    Optional<String> trustDomain();

    /** Issuer used verbatim in the discovery document; derived from each request when unset. */
    Optional<String> issuer();

    /** jwks_uri used verbatim; derived from the request host and path prefix when unset. */
    Optional<String> jwksUri();

    /** Host names the service answers for (case-insensitive, port ignored, punycode for IDNs). */
    Optional<List<String>> domains();

    /** Path under which both endpoints are served. */
    @WithDefault("/")
    String pathPrefix();

    /** Whether published keys carry "use": "sig". */
    @WithDefault("sig")
    KeyUseSetting keyUse();

    /**
     * max-age of both documents when the bundle has no spiffe_refresh_hint (always so from the Workload API);
     * keep it well below the time SPIRE publishes a new key before signing with it.
     */
    @WithDefault("300S")
    Duration cacheMaxAge();

    /** The shortest max-age a bundle's spiffe_refresh_hint can set; default 60s (or cache-max-age-max if shorter). */
    Optional<Duration> cacheMaxAgeMin();

    /** The longest max-age a bundle's spiffe_refresh_hint can set; default cache-max-age. */
    Optional<Duration> cacheMaxAgeMax();

    /** Above this many served keys: one warning and spiffe_oidc_keys_over_threshold 1 (AWS STS reads 100). */
    @WithDefault("100")
    int keysWarnThreshold();

    /** Honour X-Forwarded-Host, X-Forwarded-Proto and Forwarded: only behind a proxy that sets them. */
    @WithDefault("false")
    boolean trustForwardedHeaders();

    /** Allow plain-http issuers and jwks_uri: local development or behind a TLS-terminating edge. */
    @WithDefault("false")
    boolean allowInsecureScheme();

    /**
     * How long a connection may take to deliver a complete request head, counted from the connection's
     * start and again from the end of each response (as nginx's client_header_timeout). A client still
     * sending its head then is disconnected, however steadily it trickles.
     */
    @WithDefault("10S")
    Duration requestHeadTimeout();

    /** Readiness turns DOWN when the source has not confirmed the keys for this long. */
    Optional<Duration> stalenessThreshold();

    /**
     * Further trust domains to publish, each as its own issuer, keyed by trust domain name:
     * spiffe-oidc.federated."partner.example".path-prefix=/partner. The properties above describe the
     * primary trust domain.
     */
    Map<String, FederatedTrustDomainConfig> federated();

    /**
     * How long the last good keys of a trust domain that disappeared from the source stay served; after
     * that its endpoints answer 503 until it comes back.
     */
    @WithDefault("1H")
    Duration missingTrustDomainGracePeriod();

    /**
     * Static issuers: object stores and directories that get both documents of one trust domain on every
     * validated change, keyed by a name of the operator's choice: spiffe-oidc.target."aws".type=s3.
     */
    Map<String, TargetConfig> target();

    FileSourceConfig file();

    /** The primary trust domain's SPIFFE bundle endpoint; off unless its path is set. */
    BundleEndpointConfig bundleEndpoint();

    TlsFilesConfig tls();

    @WithName("workload-api")
    WorkloadApiConfig workloadApi();

    @WithName("server-api")
    ServerApiConfig serverApi();

    interface TargetConfig {
        /** s3, azure-blob or directory. */
        Optional<String> type();

        /** The trust domain whose issuer is published; default: the primary one. */
        Optional<String> trustDomain();

        /** Prepended to every object name, e.g. "spiffe/"; default none. */
        Optional<String> prefix();

        /** The JWKS object's name after the prefix: the last part of jwks_uri's path. */
        @WithDefault("keys")
        String jwksKey();

        /** Also publish the trust domain's SPIFFE bundle under this name after the prefix; off unless set. */
        Optional<String> bundleKey();

        /** How long a publisher's lease lasts unrenewed before another instance may take it over. */
        @WithDefault("30S")
        Duration leaseDuration();

        /**
         * How long a key set this instance has never validated may stay in the store before it replaces it:
         * long enough for this instance's own source to catch up with another instance's.
         */
        @WithDefault("2M")
        Duration adoptAfter();

        /** The longest wait between retries while the store fails. */
        @WithDefault("60S")
        Duration retryBackoffMax();

        S3TargetConfig s3();

        AzureBlobTargetConfig azure();

        DirectoryTargetConfig directory();
    }

    interface S3TargetConfig {
        Optional<String> bucket();

        /** Default: AWS_REGION, then AWS_DEFAULT_REGION; S3-compatible stores take any name (often us-east-1). */
        Optional<String> region();

        /** An S3-compatible store's URL, e.g. https://storage.googleapis.com or an ODF/NooBaa, RGW or MinIO endpoint. */
        Optional<String> endpoint();

        @WithDefault("false")
        boolean pathStyle();

        /** A canned ACL for every write (e.g. public-read) where the store reads ACLs; default none. */
        Optional<String> acl();

        /** Access key files mounted from a Secret; default: the AWS SDK's credential chain. */
        Optional<Path> accessKeyIdFile();

        Optional<Path> secretAccessKeyFile();

        Optional<Path> sessionTokenFile();
    }

    interface AzureBlobTargetConfig {
        /** The account's blob endpoint, e.g. https://account.blob.core.windows.net. */
        Optional<String> endpoint();

        /** The container, $web for a static website. */
        Optional<String> container();

        /** With account-key-file: shared key authentication. */
        Optional<String> accountName();

        Optional<Path> accountKeyFile();

        /** A SAS token (the query string, with or without '?') in a file. */
        Optional<Path> sasTokenFile();

        /** Workload identity federation from AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE. */
        @WithDefault("false")
        boolean workloadIdentity();
    }

    interface DirectoryTargetConfig {
        /** An existing, writable directory. */
        Optional<Path> path();
    }

    interface FileSourceConfig {
        /** A SPIFFE bundle or JWKS document. */
        Optional<Path> path();

        /** Re-read period, on top of the file-system watch. */
        @WithDefault("10S")
        Duration pollInterval();
    }

    interface FederatedTrustDomainConfig {
        /** Used verbatim; derived from each request's host and this trust domain's path prefix when unset. */
        Optional<String> issuer();

        /** Used verbatim; derived like the issuer when unset. */
        Optional<String> jwksUri();

        /** Host names of this issuer; default: the issuer's host, else spiffe-oidc.domains. */
        Optional<List<String>> domains();

        /** Path under which this issuer's endpoints are served; default: the issuer's path, else /trust-domain-name. */
        Optional<String> pathPrefix();

        FederatedFileConfig file();

        /** This trust domain's SPIFFE bundle endpoint; off unless its path is set. */
        BundleEndpointConfig bundleEndpoint();
    }

    interface BundleEndpointConfig {
        /**
         * Where the trust domain's SPIFFE bundle is served (https_web profile), e.g. /bundle: an absolute path
         * of its own on the issuer's host names, not under the path prefix.
         */
        Optional<String> path();
    }

    interface FederatedFileConfig {
        /** This trust domain's bundle file, with spiffe-oidc.source=file (same poll interval as the primary). */
        Optional<Path> path();
    }

    interface TlsFilesConfig {
        /**
         * How often the HTTPS certificate files (quarkus.tls.public.key-store.pem.0.*) are checked for a rotated
         * certificate; 0 turns the check off.
         */
        @WithDefault("30S")
        Duration reloadPeriod();

        /**
         * Serve HTTPS through BoringSSL (netty-tcnative) when it loads; false keeps the JDK's TLS engine.
         */
        @WithDefault("true")
        boolean nativeEngine();

        /**
         * The key exchange groups the public listener accepts, in order of preference, by IANA name: x25519,
         * secp256r1, secp384r1, secp521r1, x448, X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024. Unset: the
         * engine's defaults. A group the engine in use does not support stops start-up.
         */
        Optional<List<String>> groups();

        /**
         * Where the public listener's certificate comes from: files (quarkus.tls.public.key-store.pem.0.*) or
         * workload-api (the agent's X509-SVID, rotated as the agent pushes it; the key stays in memory).
         */
        @WithDefault("files")
        ServingCertificate servingCertificate();

        /** The Workload API socket the X509-SVID comes from; defaults to spiffe-oidc.workload-api.socket. */
        Optional<String> workloadApiSocket();
    }

    enum ServingCertificate {
        FILES, WORKLOAD_API
    }

    interface WorkloadApiConfig {
        /** unix:///path, unix:/path or a bare path; defaults to SPIFFE_ENDPOINT_SOCKET. */
        Optional<String> socket();
    }

    interface ServerApiConfig {
        /** The SPIRE server's API socket: unix:///path, unix:/path or a bare path. */
        Optional<String> socket();

        @WithDefault("10S")
        Duration pollInterval();
    }

    enum SourceKind {
        WORKLOAD_API("workload-api"), SERVER_API("server-api"), FILE("file");

        private final String label;

        SourceKind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    enum KeyUseSetting {
        SIG, NONE
    }
}
