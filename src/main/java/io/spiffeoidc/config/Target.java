package io.spiffeoidc.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * One static issuer's store after every rule of {@link TargetRules}: which issuer it publishes, the names
 * of its objects and how to reach the store.
 *
 * @param name            the operator's name for it, from spiffe-oidc.target."name"
 * @param issuer          the issuer published, with a configured issuer URL and jwks_uri
 * @param jwksObject      the JWKS object's full name (prefix included)
 * @param discoveryObject the discovery document's full name
 * @param bundleObject    the SPIFFE bundle's full name, when it is published too
 * @param leaseObject     the object through which instances take turns writing
 * @param adoptAfter      how long a key set this instance never validated may stay before it is replaced
 */
public record Target(String name, Issuer issuer, String jwksObject, String discoveryObject, Optional<String> bundleObject,
        String leaseObject, Duration leaseDuration, Duration adoptAfter, Duration retryBackoffMax, Store store) {

    /** The issuer URL and jwks_uri published: both configured, checked by {@link TargetRules}. */
    public String issuerUrl() {
        return issuer.issuer().orElseThrow().text();
    }

    public String jwksUri() {
        return issuer.jwksUri().orElseThrow().text();
    }

    /** Where the objects are written. */
    public sealed interface Store {
    }

    /**
     * @param region     as configured, else from AWS_REGION or AWS_DEFAULT_REGION
     * @param keyFiles   access key files mounted from a Secret; empty for the AWS SDK's credential chain
     */
    public record S3(String bucket, String region, Optional<URI> endpoint, boolean pathStyle,
            Optional<String> acl, Optional<S3KeyFiles> keyFiles) implements Store {
    }

    public record S3KeyFiles(Path accessKeyId, Path secretAccessKey, Optional<Path> sessionToken) {
    }

    public record AzureBlob(URI endpoint, String container, AzureCredential credential) implements Store {
    }

    public sealed interface AzureCredential {
    }

    public record SharedKey(String accountName, Path accountKeyFile) implements AzureCredential {
    }

    public record SasToken(Path tokenFile) implements AzureCredential {
    }

    /** AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE, as the workload identity webhook sets them. */
    public record WorkloadIdentity() implements AzureCredential {
    }

    public record Directory(Path path) implements Store {
    }
}
