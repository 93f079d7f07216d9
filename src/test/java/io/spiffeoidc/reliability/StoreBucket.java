package io.spiffeoidc.reliability;

import io.spiffeoidc.testsupport.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A static issuer's store for the suite: one S3Proxy process (a real S3 API over a directory, on 127.0.0.1)
 * with one bucket, the issuer under {@value #PREFIX} in it, and what a service needs to publish there, in the
 * service's environment-variable spelling. The services write with access key files and the canned ACL
 * public-read, so a relying party reads with plain anonymous GETs ({@link #get}).
 *
 * <p>
 * S3Proxy keeps its objects in files under the output directory (it needs user extended attributes, which
 * a tmpfs /tmp may not have) and its log under target/object-stores. Its pid is recorded with the suite's
 * others after every start, so that run.sh stops it even if the driver dies.
 */
final class StoreBucket implements AutoCloseable {

    static final String BUCKET = "issuer";
    static final String PREFIX = "td/";
    static final String JWKS = "keys";
    static final String DISCOVERY = ".well-known/openid-configuration";
    static final String LEASE = ".spiffe-oidc-publisher-lease";
    /** The target's name: SPIFFE_OIDC_TARGET__S3PROXY__* is spiffe-oidc.target."s3proxy".*. */
    static final String TARGET = "s3proxy";

    /** One anonymous read: status (-1 when S3Proxy did not answer) and body. */
    record Read(int status, String body) {
        boolean ok() {
            return status == 200;
        }
    }

    private final Processes processes;
    private final S3ProxyServer server;
    private final Path keyId;
    private final Path secret;
    private final HttpClient anonymous = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Starts S3Proxy with its data in {@code out/store-<name>} and creates the bucket. */
    StoreBucket(ReliabilitySuite suite, String name) throws IOException {
        this.processes = suite.processes;
        Path data = suite.out.resolve("store-" + name);
        this.server = new S3ProxyServer(data);
        start();
        keyId = Files.writeString(suite.out.resolve("store-" + name + "-access-key-id"), server.accessKey() + "\n");
        secret = Files.writeString(suite.out.resolve("store-" + name + "-secret-access-key"), server.secretKey() + "\n");
        try (S3Client admin = S3Client.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(server.accessKey(),
                        server.secretKey())))
                .build()) {
            admin.createBucket(b -> b.bucket(BUCKET));
        }
    }

    /** The public issuer URL: path style, so the bucket is the first path segment and the prefix ends the path. */
    String issuer() {
        return server.endpoint() + "/" + BUCKET + "/" + PREFIX.substring(0, PREFIX.length() - 1);
    }

    /**
     * The environment of a service publishing its primary trust domain here: the issuer and jwks_uri at the
     * bucket's URLs (the object names the prefix rule expects), and one S3 target.
     */
    Map<String, String> serviceEnvironment(Duration leaseDuration, Duration retryBackoffMax) {
        String target = "SPIFFE_OIDC_TARGET__" + TARGET.toUpperCase(java.util.Locale.ROOT) + "__";
        Map<String, String> env = new HashMap<>();
        env.put("SPIFFE_OIDC_ISSUER", issuer());
        env.put("SPIFFE_OIDC_JWKS_URI", issuer() + "/" + JWKS);
        env.put("SPIFFE_OIDC_ALLOW_INSECURE_SCHEME", "true"); // S3Proxy's endpoint is plain http on loopback
        env.put(target + "TYPE", "s3");
        env.put(target + "PREFIX", PREFIX);
        env.put(target + "S3_BUCKET", BUCKET);
        env.put(target + "S3_ENDPOINT", server.endpoint().toString());
        env.put(target + "S3_PATH_STYLE", "true");
        env.put(target + "S3_REGION", "us-east-1");
        env.put(target + "S3_ACL", "public-read");
        env.put(target + "S3_ACCESS_KEY_ID_FILE", keyId.toString());
        env.put(target + "S3_SECRET_ACCESS_KEY_FILE", secret.toString());
        env.put(target + "LEASE_DURATION", leaseDuration.toSeconds() + "s");
        env.put(target + "RETRY_BACKOFF_MAX", retryBackoffMax.toSeconds() + "s");
        return env;
    }

    /** An anonymous GET of one object under the prefix, as a relying party reads it. */
    Read get(String object) throws InterruptedException {
        try {
            HttpResponse<String> response = anonymous.send(HttpRequest.newBuilder(URI.create(issuer() + "/" + object))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Read(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Read(-1, e.toString());
        }
    }

    /**
     * The JWKS as S3Proxy's filesystem provider keeps it (bucket directory, then the object name's path), read
     * while S3Proxy is stopped; null when there is no such file.
     */
    String jwksOnDisk() throws IOException {
        Path file = server.baseDir().resolve(BUCKET).resolve(PREFIX + JWKS);
        if (Files.isRegularFile(file)) {
            return Files.readString(file);
        }
        // another layout of the same provider: find the one file named like the object
        try (Stream<Path> files = Files.walk(server.baseDir().resolve(BUCKET))) {
            List<Path> found = files.filter(p -> Files.isRegularFile(p) && p.toString().endsWith("/" + JWKS)).toList();
            return found.size() == 1 ? Files.readString(found.get(0)) : null;
        }
    }

    /** Stops S3Proxy (SIGTERM, then SIGKILL after 20 s); the objects stay on disk. */
    void stop() {
        server.stop();
    }

    /** Starts S3Proxy on the same port with the same data; returns once it accepts connections. */
    void start() throws IOException {
        server.start();
        processes.track(server.pid().orElseThrow(), this);
    }

    Path log() {
        return server.log();
    }

    @Override
    public void close() {
        server.close();
    }
}
