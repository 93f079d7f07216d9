package io.spiffeoidc.storage;

import com.azure.core.credential.AzureSasCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.spiffeoidc.config.Target;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * An Azure Blob Storage container (the $web container of a static website included) through the Azure
 * SDK on the JDK's HttpClient. The SDK does not retry: the publisher retries with its own backoff.
 */
public final class BlobStore implements ObjectStore {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final BlobContainerClient container;
    private final String description;

    public BlobStore(Target.AzureBlob settings) {
        HttpClient http = new JdkHttpClientBuilder().connectionTimeout(Duration.ofSeconds(10)).build();
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder().endpoint(settings.endpoint().toString())
                .httpClient(http)
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, (Duration) null, null, null, null));
        Target.AzureCredential credential = settings.credential();
        if (credential instanceof Target.SharedKey key) {
            builder.credential(new StorageSharedKeyCredential(key.accountName(), readSecret(key.accountKeyFile())));
        } else if (credential instanceof Target.SasToken sas) {
            builder.credential(new AzureSasCredential(readSecret(sas.tokenFile())));
        } else {
            builder.credential(new WorkloadIdentityCredentialBuilder().httpClient(http).build());
        }
        this.container = builder.buildClient().getBlobContainerClient(settings.container());
        this.description = settings.endpoint() + "/" + settings.container();
    }

    private static String readSecret(Path file) {
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            return value.startsWith("?") ? value.substring(1) : value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public Optional<StoredObject> read(String key) throws StoreException {
        try {
            var response = container.getBlobClient(key).downloadContentWithResponse(null, null, TIMEOUT, Context.NONE);
            return Optional.of(new StoredObject(response.getValue().toBytes(), response.getDeserializedHeaders().getETag(),
                    Optional.ofNullable(response.getDeserializedHeaders().getMetadata()).orElse(java.util.Map.of())));
        } catch (BlobStorageException e) {
            if (e.getErrorCode() == BlobErrorCode.BLOB_NOT_FOUND) {
                return Optional.empty();
            }
            throw failure("read", key, e);
        } catch (RuntimeException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public String write(String key, ObjectWrite object, Precondition precondition) throws StoreException {
        BlobRequestConditions conditions = new BlobRequestConditions();
        precondition.etag().ifPresentOrElse(conditions::setIfMatch, () -> conditions.setIfNoneMatch("*"));
        BlockBlobSimpleUploadOptions options = new BlockBlobSimpleUploadOptions(BinaryData.fromBytes(object.body()))
                .setHeaders(new BlobHttpHeaders().setContentType(object.contentType()).setCacheControl(object.cacheControl()))
                .setMetadata(object.metadata())
                .setRequestConditions(conditions);
        try {
            BlockBlobItem written = container.getBlobClient(key).getBlockBlobClient()
                    .uploadWithResponse(options, TIMEOUT, Context.NONE).getValue();
            return written.getETag();
        } catch (RuntimeException e) {
            throw failure("write", key, e);
        }
    }

    private StoreException failure(String operation, String key, RuntimeException e) {
        String where = operation + " " + description + "/" + key;
        if (e instanceof BlobStorageException answer) {
            int status = answer.getStatusCode();
            String message = where + ": HTTP " + status + (answer.getErrorCode() == null ? "" : " " + answer.getErrorCode());
            return StoreException.ofStatus(status, message);
        }
        // The blocking client wraps a refused connection in reactor's ReactiveException: name what is inside.
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new StoreException(StoreException.Reason.UNAVAILABLE, where + ": " + S3Store.firstLine(cause.toString()));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        // the JDK HttpClient's threads end with the service
    }
}
