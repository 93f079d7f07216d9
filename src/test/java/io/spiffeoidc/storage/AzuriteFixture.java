package io.spiffeoidc.storage;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.PublicAccessType;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.spiffeoidc.config.Target;
import io.spiffeoidc.testsupport.AzuriteServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Azurite's Blob service with a container of public blobs, as a static issuer in Azure is read; the target
 * writes with the account's shared key from a file, as from a Secret.
 */
final class AzuriteFixture implements StoreFixture, AutoCloseable {

    static final String CONTAINER = "issuer";

    private final AzuriteServer server;
    private final Path accountKey;
    private final AnonymousReader reader;

    AzuriteFixture(Path work) throws IOException {
        server = new AzuriteServer(Files.createDirectories(work.resolve("azurite"))).start();
        accountKey = Files.writeString(work.resolve("account-key"), server.accountKey() + "\n");
        new BlobServiceClientBuilder().endpoint(server.blobEndpoint().toString())
                .httpClient(new JdkHttpClientBuilder().build())
                .credential(new StorageSharedKeyCredential(server.accountName(), server.accountKey())).buildClient()
                .getBlobContainerClient(CONTAINER).createWithResponse(null, PublicAccessType.BLOB, null, Context.NONE);
        reader = new AnonymousReader(publicBase());
    }

    String publicBase() {
        return server.blobEndpoint() + "/" + CONTAINER + "/";
    }

    @Override
    public Target.Store settings() {
        return new Target.AzureBlob(server.blobEndpoint(), CONTAINER, new Target.SharedKey(server.accountName(), accountKey));
    }

    @Override
    public String metadataPrefix() {
        return "x-ms-meta-";
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
