package io.spiffeoidc.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3Proxy (org.gaul:s3proxy, the jar the build copies to target/stores/s3proxy.jar, system property
 * {@value #JAR_PROPERTY}) as a process of its own on 127.0.0.1: S3's API over a directory, with AWS signature V2 or
 * V4 required for everything but anonymous reads of public objects.
 * <ul>
 * <li>Storage: the {@code filesystem} provider (S3Proxy's filesystem-nio2) under the directory the caller passes, one
 * subdirectory a bucket, one file an object. Content type, cache control and user metadata are user extended
 * attributes of the file, so that directory must be on a file system with user xattrs (ext4, xfs, btrfs; not tmpfs
 * before Linux 6.6): the constructor checks. The data outlives {@link #stop()}, so a restart finds it.</li>
 * <li>Anonymous reads: S3Proxy answers GET and HEAD without an Authorization header itself when the object was
 * written with the canned ACL {@code public-read} (or given it by PutObjectAcl), and lists a bucket created with
 * {@code public-read}; nothing else is needed. The ACL is the file's "others may read" permission bit, so it
 * survives a restart too. Anything else anonymous is refused with 403 AccessDenied.</li>
 * <li>Conditional writes: {@code If-None-Match: *} is resolved by a hard link, so it holds against any writer;
 * {@code If-Match} is checked by S3Proxy before the write, so it holds only against writers through this one
 * process.</li>
 * <li>HTTPS: with a keystore (PKCS#12 or JKS, one key entry, the same password for the store and the key) S3Proxy
 * also serves {@link #secureEndpoint()}, with the same data and credentials.</li>
 * </ul>
 * {@link #stop()} and {@link #start()} keep the port(s), so a client built once sees an outage and a recovery.
 */
public final class S3ProxyServer implements AutoCloseable {

    /** The system property that names the S3Proxy jar (the build sets it for failsafe). */
    public static final String JAR_PROPERTY = "s3proxy.jar";

    private final String accessKey = "s3proxy-" + UUID.randomUUID().toString().substring(0, 8);
    private final String secretKey = UUID.randomUUID().toString();
    private final Path baseDir;
    private final int port = FreePorts.loopback();
    private final int securePort;
    private final StoreProcess process;

    /** Plain HTTP only, the objects under {@code baseDir} (created if missing). Call {@link #start()}. */
    public S3ProxyServer(Path baseDir) {
        this(baseDir, null, null);
    }

    /**
     * Plain HTTP and HTTPS ({@link #secureEndpoint()}) with the key and certificate chain in {@code keystore} (PKCS#12
     * or JKS; its password is also the key's). Call {@link #start()}.
     */
    public S3ProxyServer(Path baseDir, Path keystore, String keystorePassword) {
        this.baseDir = baseDir.toAbsolutePath();
        this.securePort = keystore == null ? -1 : secondPort(port);
        Path jar = StoreProcess.installed(JAR_PROPERTY, "s3proxy.jar", "the S3Proxy jar");
        try {
            Files.createDirectories(this.baseDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        requireUserXattrs(this.baseDir);
        Properties properties = new Properties();
        properties.setProperty("s3proxy.endpoint", "http://127.0.0.1:" + port);
        properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        properties.setProperty("s3proxy.identity", accessKey);
        properties.setProperty("s3proxy.credential", secretKey);
        properties.setProperty("jclouds.provider", "filesystem");
        properties.setProperty("jclouds.filesystem.basedir", this.baseDir.toString());
        if (keystore != null) {
            properties.setProperty("s3proxy.secure-endpoint", "https://127.0.0.1:" + securePort);
            properties.setProperty("s3proxy.keystore-path", keystore.toAbsolutePath().toString());
            properties.setProperty("s3proxy.keystore-password", keystorePassword);
        }
        Path propertiesFile = StoreProcess.LOG_DIRECTORY.resolve("s3proxy-" + port + ".properties");
        try {
            Files.createDirectories(propertiesFile.getParent());
            try (var out = Files.newBufferedWriter(propertiesFile, StandardCharsets.UTF_8)) {
                properties.store(out, "S3ProxyServer on port " + port);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Logback's own status lines (30 of them at every start) would push S3Proxy's messages out of the log's tail
        List<String> command = new ArrayList<>(List.of(StoreProcess.javaExecutable(), "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-jar", jar.toString(), "--properties", propertiesFile.toString()));
        List<Integer> ports = keystore == null ? List.of(port) : List.of(port, securePort);
        this.process = new StoreProcess("s3proxy", command, ports, Set.of());
    }

    /** Starts S3Proxy (again, after {@link #stop()}) on the same port(s) and returns once it listens. */
    public S3ProxyServer start() {
        process.start();
        return this;
    }

    /** Ends the process (SIGTERM, then SIGKILL); the objects stay in the base directory. */
    public void stop() {
        process.stop();
    }

    public boolean running() {
        return process.running();
    }

    /** The id of the running S3Proxy process (a new one after each {@link #start()}); empty when stopped. */
    public OptionalLong pid() {
        return process.pid();
    }

    /** {@code http://127.0.0.1:<port>}: buckets are paths (path-style addressing). */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** {@code https://127.0.0.1:<port>} when started with a keystore. */
    public Optional<URI> secureEndpoint() {
        return securePort < 0 ? Optional.empty() : Optional.of(URI.create("https://127.0.0.1:" + securePort));
    }

    /** The only identity S3Proxy accepts (AWS access key id). */
    public String accessKey() {
        return accessKey;
    }

    /** The secret of {@link #accessKey()}. */
    public String secretKey() {
        return secretKey;
    }

    /** Creates a bucket with this server's own credentials, over its plain endpoint. */
    public void createBucket(String bucket) {
        try (S3Client admin = S3Client.builder()
                .endpointOverride(endpoint()).region(Region.US_EAST_1).forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(accessKey(), secretKey())))
                .build()) {
            admin.createBucket(b -> b.bucket(bucket));
        }
    }

    public Path baseDir() {
        return baseDir;
    }

    /** S3Proxy's output, appended across restarts. */
    public Path log() {
        return process.log();
    }

    /** The last lines of {@link #log()}, for failure messages. */
    public String logTail() {
        return process.logTail();
    }

    @Override
    public void close() {
        process.stop();
    }

    private static int secondPort(int first) {
        int second = FreePorts.loopback();
        while (second == first) {
            second = FreePorts.loopback();
        }
        return second;
    }

    private static void requireUserXattrs(Path directory) {
        Path probe = directory.resolve(".xattr-probe-" + UUID.randomUUID());
        try {
            Files.createFile(probe);
            UserDefinedFileAttributeView view = Files.getFileAttributeView(probe, UserDefinedFileAttributeView.class);
            if (view == null) {
                throw new IllegalArgumentException(directory + " has no user extended attributes");
            }
            view.write("probe", ByteBuffer.wrap(new byte[] {1}));
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("S3Proxy keeps content type, cache control and user metadata in user "
                    + "extended attributes, which " + directory + " does not support (" + e
                    + "): give it a directory on ext4, xfs or btrfs, such as one under target/", e);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                // a probe file left behind is only clutter
            }
        }
    }
}
