package io.spiffeoidc.storage;

import io.spiffeoidc.config.Target;
import io.spiffeoidc.testsupport.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * An S3Proxy server with a bucket of its own; the target writes with access key files, as from a Secret,
 * and the canned ACL public-read, which S3Proxy honours for anonymous reads (a real bucket would have a
 * bucket policy instead).
 */
final class S3ProxyFixture implements StoreFixture, AutoCloseable {

    static final String BUCKET = "issuer";

    private final S3ProxyServer server;
    private final Path keyId;
    private final Path secret;
    private final AnonymousReader reader;

    S3ProxyFixture(Path work) throws IOException {
        server = new S3ProxyServer(Files.createDirectories(work.resolve("s3"))).start();
        keyId = Files.writeString(work.resolve("access-key-id"), server.accessKey() + "\n");
        secret = Files.writeString(work.resolve("secret-access-key"), server.secretKey() + "\n");
        server.createBucket(BUCKET);
        reader = new AnonymousReader(publicBase());
    }

    /** The bucket's public URL, path style: what a relying party is given. */
    String publicBase() {
        return server.endpoint() + "/" + BUCKET + "/";
    }

    URI endpoint() {
        return server.endpoint();
    }

    @Override
    public Target.Store settings() {
        return new Target.S3(BUCKET, "us-east-1", Optional.of(server.endpoint()), true,
                Optional.of("public-read"), Optional.of(new Target.S3KeyFiles(keyId, secret, Optional.empty())));
    }

    @Override
    public String metadataPrefix() {
        return "x-amz-meta-";
    }

    @Override
    public Optional<Fetched> fetch(String object) throws Exception {
        return reader.fetch(object);
    }

    @Override
    public void stopStore() {
        server.stop();
    }

    @Override
    public void startStore() {
        server.start();
    }

    @Override
    public void close() {
        server.close();
    }
}
