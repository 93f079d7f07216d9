package io.spiffeoidc.config;

import io.spiffeoidc.config.ProviderConfig.AzureBlobTargetConfig;
import io.spiffeoidc.config.ProviderConfig.S3TargetConfig;
import io.spiffeoidc.config.ProviderConfig.TargetConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules of spiffe-oidc.target."name".*: each static issuer names a published trust domain whose
 * issuer URL and jwks_uri are configured (a store cannot derive them from a request), object names that
 * match those URLs' paths, and exactly one way to reach and authenticate to its store.
 */
final class TargetRules {

    static final String DISCOVERY = ".well-known/openid-configuration";
    static final String LEASE = ".spiffe-oidc-publisher-lease";

    /** Object name characters every store keeps as they are in a URL path. */
    private static final Pattern OBJECT_NAME = Pattern.compile("[A-Za-z0-9._~/-]*");
    /** S3's bucket naming rules (3-63 characters, lower case, digits, '.', '-'). */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    /** Blob container names, and $web for a static website. */
    private static final Pattern CONTAINER = Pattern.compile("\\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}");
    private static final Pattern CANNED_ACL = Pattern.compile("[a-z-]{1,40}");

    private final boolean insecureAllowed;
    private final List<String> problems;

    private TargetRules(boolean insecureAllowed, List<String> problems) {
        this.insecureAllowed = insecureAllowed;
        this.problems = problems;
    }

    static List<Target> check(ProviderConfig config, List<Issuer> issuers, List<String> problems) {
        TargetRules rules = new TargetRules(config.allowInsecureScheme(), problems);
        List<Target> targets = new ArrayList<>();
        for (Map.Entry<String, TargetConfig> entry : config.target().entrySet()) {
            rules.target(entry.getKey(), entry.getValue(), issuers).ifPresent(targets::add);
        }
        return targets;
    }

    private Optional<Target> target(String name, TargetConfig config, List<Issuer> issuers) {
        String property = "spiffe-oidc.target.\"" + name + "\".";
        int before = problems.size();
        Optional<Issuer> issuer = issuer(property, config, issuers);
        String prefix = config.prefix().orElse("");
        if (!OBJECT_NAME.matcher(prefix).matches() || prefix.startsWith("/") || prefix.contains("//")
                || (!prefix.isEmpty() && !prefix.endsWith("/")) || segments(prefix).contains("..")) {
            problems.add(property + "prefix: \"" + prefix + "\" must be empty or a relative path ending in '/'"
                    + " (letters, digits, . _ ~ - /)");
        }
        String jwksKey = config.jwksKey();
        if (jwksKey.isEmpty() || !OBJECT_NAME.matcher(jwksKey).matches() || jwksKey.startsWith("/")
                || jwksKey.endsWith("/") || segments(jwksKey).contains("..")) {
            problems.add(property + "jwks-key: \"" + jwksKey + "\" must be a relative object name (letters, digits, . _ ~ - /)");
        }
        config.bundleKey().ifPresent(key -> {
            if (key.isEmpty() || !OBJECT_NAME.matcher(key).matches() || key.startsWith("/") || segments(key).contains("..")) {
                problems.add(property + "bundle-key: \"" + key + "\" must be a relative object name (letters, digits, . _ ~ - /)");
            }
        });
        within(property + "lease-duration", config.leaseDuration(), Duration.ofSeconds(5), Duration.ofMinutes(10));
        within(property + "adopt-after", config.adoptAfter(), Duration.ZERO, Duration.ofHours(1));
        within(property + "retry-backoff-max", config.retryBackoffMax(), Duration.ofSeconds(1), Duration.ofHours(1));
        issuer.ifPresent(found -> {
            checkPaths(property, found, prefix, jwksKey);
            if (config.bundleKey().isPresent() && found.bundleEndpointPath().isEmpty()) {
                problems.add(property + "bundle-key: needs the trust domain's SPIFFE bundle endpoint ("
                        + found.property() + "bundle-endpoint.path), whose bytes it publishes");
            }
        });
        Optional<Target.Store> store = store(property, config);
        if (problems.size() > before || issuer.isEmpty() || store.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Target(name, issuer.orElseThrow(), prefix + jwksKey, prefix + DISCOVERY,
                config.bundleKey().map(key -> prefix + key), prefix + LEASE, config.leaseDuration(), config.adoptAfter(),
                config.retryBackoffMax(), store.orElseThrow()));
    }

    private Optional<Issuer> issuer(String property, TargetConfig config, List<Issuer> issuers) {
        if (issuers.isEmpty()) {
            return Optional.empty(); // the primary issuer was refused: that problem is reported already
        }
        Optional<Issuer> issuer;
        if (config.trustDomain().isEmpty()) {
            issuer = Optional.of(issuers.get(0));
        } else {
            Optional<TrustDomain> named = TrustDomain.parse(config.trustDomain().get());
            issuer = named.flatMap(td -> issuers.stream().filter(i -> i.trustDomain().equals(td.name())).findFirst());
            if (issuer.isEmpty()) {
                problems.add(property + "trust-domain: \"" + config.trustDomain().get()
                        + "\" is not a published trust domain (spiffe-oidc.trust-domain or spiffe-oidc.federated.\"<name>\")");
                return Optional.empty();
            }
        }
        Issuer found = issuer.get();
        if (found.issuer().isEmpty() || found.jwksUri().isEmpty()) {
            problems.add(property + "trust-domain: a static issuer needs " + found.property() + "issuer and "
                    + found.property() + "jwks-uri set: a store cannot derive them from a request");
            return Optional.empty();
        }
        return issuer;
    }

    /**
     * A relying party fetches {issuer}/.well-known/openid-configuration and the jwks_uri: the object names
     * must be where those URLs point, whatever comes before them (a bucket's host or path, a CDN's).
     */
    private void checkPaths(String property, Issuer issuer, String prefix, String jwksKey) {
        String issuerPath = issuer.issuer().orElseThrow().path();
        String discoveryPath = (issuerPath.endsWith("/") ? issuerPath : issuerPath + "/") + DISCOVERY;
        if (!discoveryPath.endsWith("/" + prefix + DISCOVERY)) {
            problems.add(property + "prefix: \"" + prefix + "\" does not end the issuer's path (" + issuerPath
                    + "): relying parties would read " + discoveryPath + ", not " + prefix + DISCOVERY);
        }
        String jwksPath = issuer.jwksUri().orElseThrow().path();
        if (!jwksPath.endsWith("/" + prefix + jwksKey)) {
            problems.add(property + "jwks-key: the jwks_uri's path " + jwksPath + " does not end in " + prefix + jwksKey
                    + ", the object that would be written");
        }
    }

    private Optional<Target.Store> store(String property, TargetConfig config) {
        if (config.type().isEmpty()) {
            problems.add(property + "type: required (s3, azure-blob or directory)");
            return Optional.empty();
        }
        return switch (config.type().get()) {
            case "s3" -> s3(property + "s3.", config.s3());
            case "azure-blob" -> azure(property + "azure.", config.azure());
            case "directory" -> directory(property + "directory.path", config.directory().path());
            default -> {
                problems.add(property + "type: \"" + config.type().get() + "\" is not s3, azure-blob or directory");
                yield Optional.empty();
            }
        };
    }

    private Optional<Target.Store> s3(String property, S3TargetConfig s3) {
        int before = problems.size();
        if (s3.bucket().isEmpty()) {
            problems.add(property + "bucket: required with type s3");
        } else if (!BUCKET.matcher(s3.bucket().get()).matches()) {
            problems.add(property + "bucket: \"" + s3.bucket().get() + "\" is not a bucket name (3-63 of a-z 0-9 . -)");
        }
        Optional<URI> endpoint = s3.endpoint().flatMap(value -> url(property + "endpoint", value));
        Optional<String> region = s3.region().or(() -> environment("AWS_REGION")).or(() -> environment("AWS_DEFAULT_REGION"));
        if (region.isEmpty()) {
            problems.add(property + "region: required (or AWS_REGION); S3-compatible stores take any name, often us-east-1");
        }
        s3.acl().filter(acl -> !CANNED_ACL.matcher(acl).matches())
                .ifPresent(acl -> problems.add(property + "acl: \"" + acl + "\" is not a canned ACL name (e.g. public-read)"));
        Optional<Target.S3KeyFiles> keyFiles = Optional.empty();
        if (s3.accessKeyIdFile().isPresent() != s3.secretAccessKeyFile().isPresent()) {
            problems.add(property + "access-key-id-file: set together with " + property + "secret-access-key-file, or neither"
                    + " (then the AWS SDK's credential chain applies)");
        } else if (s3.accessKeyIdFile().isPresent()) {
            readable(property + "access-key-id-file", s3.accessKeyIdFile().get());
            readable(property + "secret-access-key-file", s3.secretAccessKeyFile().get());
            s3.sessionTokenFile().ifPresent(file -> readable(property + "session-token-file", file));
            keyFiles = Optional.of(new Target.S3KeyFiles(s3.accessKeyIdFile().get(), s3.secretAccessKeyFile().get(),
                    s3.sessionTokenFile()));
        } else if (s3.sessionTokenFile().isPresent()) {
            problems.add(property + "session-token-file: only with access-key-id-file and secret-access-key-file");
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new Target.S3(s3.bucket().get(), region.get(), endpoint, s3.pathStyle(), s3.acl(), keyFiles));
    }

    private Optional<Target.Store> azure(String property, AzureBlobTargetConfig azure) {
        int before = problems.size();
        Optional<URI> endpoint = Optional.empty();
        if (azure.endpoint().isEmpty()) {
            problems.add(property + "endpoint: required with type azure-blob (https://<account>.blob.core.windows.net)");
        } else {
            endpoint = url(property + "endpoint", azure.endpoint().get());
        }
        if (azure.container().isEmpty()) {
            problems.add(property + "container: required with type azure-blob ($web for a static website)");
        } else if (!CONTAINER.matcher(azure.container().get()).matches()) {
            problems.add(property + "container: \"" + azure.container().get()
                    + "\" is not a container name (3-63 of a-z 0-9 -, or $web)");
        }
        boolean sharedKey = azure.accountName().isPresent() || azure.accountKeyFile().isPresent();
        int ways = (sharedKey ? 1 : 0) + (azure.sasTokenFile().isPresent() ? 1 : 0) + (azure.workloadIdentity() ? 1 : 0);
        Target.AzureCredential credential = null;
        if (ways != 1) {
            problems.add(property + "account-key-file: set exactly one credential: account-name with account-key-file,"
                    + " sas-token-file, or workload-identity=true");
        } else if (sharedKey) {
            if (azure.accountName().isEmpty() || azure.accountKeyFile().isEmpty()) {
                problems.add(property + "account-name: set together with " + property + "account-key-file");
            } else {
                readable(property + "account-key-file", azure.accountKeyFile().get());
                credential = new Target.SharedKey(azure.accountName().get(), azure.accountKeyFile().get());
            }
        } else if (azure.sasTokenFile().isPresent()) {
            readable(property + "sas-token-file", azure.sasTokenFile().get());
            credential = new Target.SasToken(azure.sasTokenFile().get());
        } else {
            for (String variable : List.of("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE")) {
                if (System.getenv(variable) == null || System.getenv(variable).isBlank()) {
                    problems.add(property + "workload-identity: " + variable
                            + " is not set (the workload identity webhook sets it on a labelled pod's service account)");
                }
            }
            credential = new Target.WorkloadIdentity();
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new Target.AzureBlob(endpoint.orElseThrow(), azure.container().get(), credential));
    }

    private Optional<Target.Store> directory(String property, Optional<Path> path) {
        if (path.isEmpty()) {
            problems.add(property + ": required with type directory");
            return Optional.empty();
        }
        if (!Files.isDirectory(path.get()) || !Files.isWritable(path.get())) {
            problems.add(property + ": " + path.get() + " is not a writable directory");
            return Optional.empty();
        }
        return Optional.of(new Target.Directory(path.get()));
    }

    private Optional<URI> url(String property, String value) {
        ConfiguredUrl.Parsed parsed = ConfiguredUrl.parse(property, value, insecureAllowed);
        if (parsed.problem() != null) {
            problems.add(parsed.problem());
            return Optional.empty();
        }
        try {
            return Optional.of(new URI(value));
        } catch (URISyntaxException e) {
            return Optional.empty(); // parse() has accepted it
        }
    }

    private static Optional<String> environment(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(value -> !value.isBlank());
    }

    private void readable(String property, Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add(property + ": " + file + " is not a readable file");
        }
    }

    private void within(String property, Duration value, Duration least, Duration most) {
        if (value.compareTo(least) < 0 || value.compareTo(most) > 0) {
            problems.add(property + ": " + value + " is outside " + least + ".." + most);
        }
    }

    private static List<String> segments(String name) {
        return List.of(name.split("/"));
    }
}
