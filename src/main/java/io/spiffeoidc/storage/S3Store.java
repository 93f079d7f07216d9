package io.spiffeoidc.storage;

import io.spiffeoidc.config.Target;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.DefaultRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An S3 bucket or an S3-compatible store through the AWS SDK's own client. Checksums are computed and
 * checked only where an operation requires them: the SDK's default CRC32 headers are refused by several
 * S3-compatible stores and by Google Cloud Storage's XML API. The SDK does not retry: the publisher retries
 * with its own backoff and counts each failure once.
 */
public final class S3Store implements ObjectStore {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final S3Client client;
    private final String bucket;
    private final Optional<String> acl;

    public S3Store(Target.S3 settings) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(TIMEOUT).socketTimeout(TIMEOUT).build())
                .forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(override -> override.retryStrategy(DefaultRetryStrategy.doNotRetry())
                        .apiCallTimeout(TIMEOUT.multipliedBy(2)))
                .credentialsProvider(settings.keyFiles().<AwsCredentialsProvider>map(KeyFiles::new)
                        .orElseGet(() -> DefaultCredentialsProvider.builder().build()));
        builder.region(Region.of(settings.region()));
        settings.endpoint().ifPresent(builder::endpointOverride);
        this.client = builder.build();
        this.bucket = settings.bucket();
        this.acl = settings.acl();
    }

    @Override
    public Optional<StoredObject> read(String key) throws StoreException {
        try {
            ResponseBytes<GetObjectResponse> response = client.getObject(request -> request.bucket(bucket).key(key),
                    ResponseTransformer.toBytes());
            return Optional.of(new StoredObject(response.asByteArray(), response.response().eTag(),
                    response.response().metadata()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("read", key, e);
        }
    }

    @Override
    public String write(String key, ObjectWrite object, Precondition precondition) throws StoreException {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentType(object.contentType()).cacheControl(object.cacheControl()).metadata(object.metadata());
        acl.ifPresent(request::acl);
        precondition.etag().ifPresentOrElse(request::ifMatch, () -> request.ifNoneMatch("*"));
        try {
            return client.putObject(request.build(), RequestBody.fromBytes(object.body())).eTag();
        } catch (SdkException e) {
            throw failure("write", key, e);
        }
    }

    private StoreException failure(String operation, String key, SdkException e) {
        String where = operation + " s3://" + bucket + "/" + key;
        if (e instanceof S3Exception answer) {
            int status = answer.statusCode();
            String code = answer.awsErrorDetails() == null ? "" : " " + answer.awsErrorDetails().errorCode();
            String message = where + ": HTTP " + status + code;
            if (operation.equals("write") && status == 404 && code.equals(" NoSuchKey")) {
                return StoreException.conflict(message); // If-Match on an object someone removed since it was read
            }
            return StoreException.ofStatus(status, message);
        }
        String cause = e instanceof SdkClientException && e.getCause() != null ? e.getCause().toString() : e.getMessage();
        return new StoreException(StoreException.Reason.UNAVAILABLE, where + ": " + firstLine(cause));
    }

    static String firstLine(String text) {
        if (text == null) {
            return "no detail";
        }
        int end = text.indexOf('\n');
        String line = end < 0 ? text : text.substring(0, end);
        return line.length() > 300 ? line.substring(0, 300) + "…" : line;
    }

    @Override
    public String describe() {
        return "s3://" + bucket;
    }

    @Override
    public void close() {
        client.close();
    }

    /** Access keys mounted from a Secret, read again for each request so a rotated Secret is picked up. */
    private record KeyFiles(Target.S3KeyFiles files) implements AwsCredentialsProvider {

        @Override
        public AwsCredentials resolveCredentials() {
            try {
                String id = Files.readString(files.accessKeyId(), StandardCharsets.UTF_8).strip();
                String secret = Files.readString(files.secretAccessKey(), StandardCharsets.UTF_8).strip();
                if (files.sessionToken().isPresent()) {
                    return AwsSessionCredentials.create(id, secret,
                            Files.readString(files.sessionToken().get(), StandardCharsets.UTF_8).strip());
                }
                return AwsBasicCredentials.create(id, secret);
            } catch (IOException e) {
                throw SdkClientException.create("cannot read the access key files: " + e);
            }
        }
    }
}
