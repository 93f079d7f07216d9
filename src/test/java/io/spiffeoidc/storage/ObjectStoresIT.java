package io.spiffeoidc.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.PublicAccessType;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.AzuriteServer;
import io.spiffeoidc.testsupport.S3ProxyServer;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectCannedACL;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What the static-issuer publisher will rely on in its two object stores, shown against real emulators started on
 * loopback (S3Proxy with its filesystem backend, Azurite's Blob service) through the SDK clients the service ships
 * with: writes need credentials; {@code If-None-Match: *} creates once; {@code If-Match} replaces only the version
 * named; content type, cache control and user metadata reach an anonymous reader of a public object, with the ETag
 * the write returned; a stopped store refuses connections at once and a restarted one still has the data. Where
 * the emulators answer differently from each other, the assertions say which status each gives.
 */
class ObjectStoresIT {

    private static final Path WORK = Path.of("target", "object-stores", "it").toAbsolutePath();
    private static final String JSON = "application/json";
    private static final String CACHE_CONTROL = "public, max-age=300";
    /** One name valid for both: Azure's metadata names must be C# identifiers (no hyphens). */
    private static final String META_NAME = "generation";
    /** A connection refused on loopback is answered at once; the limit only keeps a hang from passing. */
    private static final Duration FAST = Duration.ofSeconds(3);

    @BeforeAll
    static void freshWorkDirectory() throws IOException {
        if (Files.exists(WORK)) {
            try (Stream<Path> paths = Files.walk(WORK)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        Files.createDirectories(WORK);
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class S3 {

        private static final String BUCKET = "oidc";
        private S3ProxyServer server;
        private S3Client client;

        @BeforeAll
        void start() {
            server = new S3ProxyServer(WORK.resolve("s3proxy")).start();
            client = s3(server.endpoint(), server.accessKey(), server.secretKey(), null);
            client.createBucket(b -> b.bucket(BUCKET));
        }

        @AfterAll
        void stop() {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                server.close();
            }
        }

        @Test
        void writesWithoutValidCredentialsAreRefused() throws Exception {
            HttpResponse<String> anonymous = anonymous().send(HttpRequest.newBuilder(object(server.endpoint(), "anonymous.json"))
                    .header("Content-Type", JSON).PUT(HttpRequest.BodyPublishers.ofString(document(1))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, anonymous.statusCode(), anonymous.body());
            assertTrue(anonymous.body().contains("<Code>AccessDenied</Code>"), anonymous.body());

            try (S3Client wrongSecret = s3(server.endpoint(), server.accessKey(), "not-the-secret", null)) {
                S3Exception refused = answeredBeforeTheBody(wrongSecret, put("wrong-secret.json").build(), document(1));
                assertEquals(403, refused.statusCode(), refused::toString);
                assertEquals("SignatureDoesNotMatch", refused.awsErrorDetails().errorCode(), refused::toString);
            }
            assertThrows(NoSuchKeyException.class, () -> client.headObject(b -> b.bucket(BUCKET).key("anonymous.json")));
            assertThrows(NoSuchKeyException.class, () -> client.headObject(b -> b.bucket(BUCKET).key("wrong-secret.json")));
        }

        @Test
        void ifNoneMatchStarCreatesOnceThenAnswers412() {
            client.putObject(put("create-once.json").ifNoneMatch("*").build(), RequestBody.fromString(document(1)));

            S3Exception second = assertThrows(S3Exception.class, () -> client.putObject(
                    put("create-once.json").ifNoneMatch("*").build(), RequestBody.fromString(document(2))));
            assertEquals(412, second.statusCode(), second::toString);
            assertEquals("PreconditionFailed", second.awsErrorDetails().errorCode(), second::toString);
            assertEquals(document(1), read("create-once.json"));
        }

        @Test
        void ifMatchReplacesTheCurrentVersionOnly() {
            String first = client.putObject(put("replace.json").build(), RequestBody.fromString(document(1))).eTag();
            String second = client.putObject(put("replace.json").ifMatch(first).build(), RequestBody.fromString(document(2)))
                    .eTag();
            assertNotEquals(first, second);

            S3Exception stale = answeredBeforeTheBody(client, put("replace.json").ifMatch(first).build(), document(3));
            assertEquals(412, stale.statusCode(), stale::toString);
            assertEquals("PreconditionFailed", stale.awsErrorDetails().errorCode(), stale::toString);
            assertEquals(document(2), read("replace.json"));

            // as on S3: If-Match on a key that does not exist is 404 NoSuchKey, not 412
            S3Exception missing = answeredBeforeTheBody(client, put("never-written.json").ifMatch(first).build(), document(1));
            assertEquals(404, missing.statusCode(), missing::toString);
            assertEquals("NoSuchKey", missing.awsErrorDetails().errorCode(), missing::toString);
            assertThrows(NoSuchKeyException.class, () -> client.headObject(b -> b.bucket(BUCKET).key("never-written.json")));
        }

        /**
         * S3Proxy refuses some puts before it reads the request body (a bad signature, If-Match against the stored
         * ETag), answers, and closes the connection with the body unread; the URL-connection client, still sending
         * the body, then fails about every other time with "Error writing request body to server" instead of
         * reading the answer. Each try is one or the other and never a write: this returns the answer of the first
         * try that read one.
         */
        private S3Exception answeredBeforeTheBody(S3Client using, PutObjectRequest request, String body) {
            List<String> unread = new ArrayList<>();
            AtomicReference<S3Exception> answer = new AtomicReference<>();
            Await.until("a conditional put whose answer the client reads", () -> {
                try {
                    using.putObject(request, RequestBody.fromString(body));
                } catch (S3Exception e) {
                    answer.set(e);
                    return true;
                } catch (SdkClientException e) {
                    if (!(e.getCause() instanceof IOException io) || !"Error writing request body to server".equals(io.getMessage())) {
                        throw e;
                    }
                    unread.add(io.getMessage());
                    return false;
                }
                throw new AssertionError("the conditional put " + request + " was written");
            }, () -> unread.size() + " tries failed writing the body");
            System.out.printf("S3Proxy put %s: answer %d %s read after %d tries that failed writing the body%n",
                    request.key(), answer.get().statusCode(), answer.get().awsErrorDetails().errorCode(), unread.size());
            return answer.get();
        }

        @Test
        void publicObjectIsReadAnonymouslyWithItsHeadersAndETag() throws Exception {
            String eTag = client.putObject(put("public.json").acl(ObjectCannedACL.PUBLIC_READ).build(),
                    RequestBody.fromString(document(7))).eTag();

            HttpResponse<String> read = anonymousGet(object(server.endpoint(), "public.json"));
            assertEquals(200, read.statusCode(), () -> read.body() + "\n" + server.logTail());
            assertEquals(document(7), read.body());
            assertEquals(JSON, read.headers().firstValue("Content-Type").orElse(null));
            assertEquals(CACHE_CONTROL, read.headers().firstValue("Cache-Control").orElse(null));
            assertEquals("7", read.headers().firstValue("x-amz-meta-" + META_NAME).orElse(null), read.headers()::toString);
            assertEquals(eTag, read.headers().firstValue("ETag").orElse(null));

            // without the ACL the object stays private, even in the same bucket
            client.putObject(put("private.json").build(), RequestBody.fromString(document(7)));
            HttpResponse<String> refused = anonymousGet(object(server.endpoint(), "private.json"));
            assertEquals(403, refused.statusCode(), refused.body());

            // and a public-read bucket lets anyone list it, but its objects are each private without their own ACL
            client.createBucket(b -> b.bucket("listed").acl(BucketCannedACL.PUBLIC_READ));
            client.putObject(put("private.json").bucket("listed").build(), RequestBody.fromString(document(7)));
            HttpResponse<String> listing = anonymousGet(URI.create(server.endpoint() + "/listed"));
            assertEquals(200, listing.statusCode(), listing.body());
            assertTrue(listing.body().contains("<Key>private.json</Key>"), listing.body());
            HttpResponse<String> inPublicBucket = anonymousGet(URI.create(server.endpoint() + "/listed/private.json"));
            assertEquals(403, inPublicBucket.statusCode(), inPublicBucket.body());
        }

        @Test
        void stoppedStoreRefusesAtOnceAndRestartedOneKeepsTheData() throws Exception {
            String eTag = client.putObject(put("outage.json").acl(ObjectCannedACL.PUBLIC_READ).build(),
                    RequestBody.fromString(document(9))).eTag();
            URI endpoint = server.endpoint();

            server.stop();
            assertRefusedFast(() -> anonymousGet(object(endpoint, "outage.json")));
            assertSdkRefusedFast(SdkClientException.class,
                    () -> client.putObject(put("outage.json").build(), RequestBody.fromString(document(10))));

            server.start();
            assertEquals(endpoint, server.endpoint());
            assertEquals(document(9), read("outage.json"));
            HttpResponse<String> again = anonymousGet(object(endpoint, "outage.json"));
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(eTag, again.headers().firstValue("ETag").orElse(null));
        }

        @Test
        void servesHttpsWithAKeystore() throws Exception {
            TestPki pki = TestPki.newCa();
            TestPki.Leaf leaf = pki.issue("127.0.0.1");
            Path keystore = WORK.resolve("s3proxy-tls.p12");
            String password = "keystore-secret";
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("s3proxy", leaf.keys().getPrivate(), password.toCharArray(),
                    new Certificate[] {leaf.certificate(), pki.caCertificate()});
            try (OutputStream out = Files.newOutputStream(keystore)) {
                store.store(out, password.toCharArray());
            }

            try (S3ProxyServer tls = new S3ProxyServer(WORK.resolve("s3proxy-tls"), keystore, password).start();
                    S3Client https = s3(tls.secureEndpoint().orElseThrow(), tls.accessKey(), tls.secretKey(),
                            trusting(pki.caCertificate()))) {
                https.createBucket(b -> b.bucket(BUCKET));
                String eTag = https.putObject(put("tls.json").acl(ObjectCannedACL.PUBLIC_READ).build(),
                        RequestBody.fromString(document(3))).eTag();
                HttpClient anonymousTls = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .sslContext(pki.clientContext()).connectTimeout(FAST).build();
                URI uri = URI.create(tls.secureEndpoint().orElseThrow() + "/" + BUCKET + "/tls.json");
                HttpResponse<String> read = anonymousTls.send(HttpRequest.newBuilder(uri).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, read.statusCode(), () -> read.body() + "\n" + tls.logTail());
                assertEquals(document(3), read.body());
                assertEquals(eTag, read.headers().firstValue("ETag").orElse(null));
            }
        }

        private PutObjectRequest.Builder put(String key) {
            return PutObjectRequest.builder().bucket(BUCKET).key(key).contentType(JSON).cacheControl(CACHE_CONTROL)
                    .metadata(Map.of(META_NAME, "7"));
        }

        private String read(String key) {
            return client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String();
        }

        private URI object(URI endpoint, String key) {
            return URI.create(endpoint + "/" + BUCKET + "/" + key);
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Azure {

        private AzuriteServer server;
        private BlobContainerClient container;

        @BeforeAll
        void start() {
            server = new AzuriteServer(WORK.resolve("azurite")).start();
            container = azure(server, server.accountKey(), null).getBlobContainerClient("oidc");
            container.createWithResponse(null, PublicAccessType.BLOB, null, Context.NONE);
        }

        @AfterAll
        void stop() {
            if (server != null) {
                server.close();
            }
        }

        @Test
        void writesWithoutValidCredentialsAreRefused() throws Exception {
            HttpResponse<String> anonymous = anonymous().send(HttpRequest.newBuilder(blob(server, "anonymous.json"))
                    .header("Content-Type", JSON).header("x-ms-blob-type", "BlockBlob")
                    .PUT(HttpRequest.BodyPublishers.ofString(document(1))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, anonymous.statusCode(), anonymous.body());
            assertTrue(anonymous.body().contains("<Code>AuthorizationFailure</Code>"), anonymous.body());

            BlockBlobClient wrongKey = azure(server, "bm90LXRoZS1rZXk=", null).getBlobContainerClient("oidc")
                    .getBlobClient("wrong-key.json").getBlockBlobClient();
            BlobStorageException refused = assertThrows(BlobStorageException.class, () -> upload(wrongKey, 1, null));
            assertEquals(403, refused.getStatusCode(), refused::getMessage);
            assertEquals("AuthorizationFailure", refused.getErrorCode().toString(), refused::getMessage);

            assertFalse(container.getBlobClient("anonymous.json").exists());
            assertFalse(container.getBlobClient("wrong-key.json").exists());
        }

        @Test
        void ifNoneMatchStarCreatesOnceThenAnswers409() {
            BlockBlobClient blob = blob("create-once.json");
            upload(blob, 1, new BlobRequestConditions().setIfNoneMatch("*"));

            BlobStorageException second = assertThrows(BlobStorageException.class,
                    () -> upload(blob, 2, new BlobRequestConditions().setIfNoneMatch("*")));
            assertEquals(409, second.getStatusCode(), second::getMessage);
            assertEquals("BlobAlreadyExists", second.getErrorCode().toString(), second::getMessage);
            assertEquals(document(1), blob.downloadContent().toString());
        }

        @Test
        void ifMatchReplacesTheCurrentVersionOnly() {
            BlockBlobClient blob = blob("replace.json");
            String first = upload(blob, 1, null);
            String second = upload(blob, 2, new BlobRequestConditions().setIfMatch(first));
            assertNotEquals(first, second);

            BlobStorageException stale = assertThrows(BlobStorageException.class,
                    () -> upload(blob, 3, new BlobRequestConditions().setIfMatch(first)));
            assertEquals(412, stale.getStatusCode(), stale::getMessage);
            assertEquals("ConditionNotMet", stale.getErrorCode().toString(), stale::getMessage);
            assertEquals(document(2), blob.downloadContent().toString());

            BlobStorageException missing = assertThrows(BlobStorageException.class,
                    () -> upload(blob("never-written.json"), 1, new BlobRequestConditions().setIfMatch(first)));
            assertEquals(412, missing.getStatusCode(), missing::getMessage);
        }

        @Test
        void publicBlobIsReadAnonymouslyWithItsHeadersAndETag() throws Exception {
            String eTag = upload(blob("public.json"), 7, null);

            HttpResponse<String> read = anonymousGet(blob(server, "public.json"));
            assertEquals(200, read.statusCode(), () -> read.body() + "\n" + server.logTail());
            assertEquals(document(7), read.body());
            assertEquals(JSON, read.headers().firstValue("Content-Type").orElse(null));
            assertEquals(CACHE_CONTROL, read.headers().firstValue("Cache-Control").orElse(null));
            assertEquals("7", read.headers().firstValue("x-ms-meta-" + META_NAME).orElse(null), read.headers()::toString);
            assertEquals(quoted(eTag), read.headers().firstValue("ETag").orElse(null));

            // a container without public access refuses anonymous readers
            BlobContainerClient closed = azure(server, server.accountKey(), null).getBlobContainerClient("closed");
            closed.create();
            upload(closed.getBlobClient("private.json").getBlockBlobClient(), 7, null);
            HttpResponse<String> refused = anonymousGet(URI.create(server.blobEndpoint() + "/closed/private.json"));
            assertEquals(403, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("<Code>AuthorizationFailure</Code>"), refused.body());
        }

        @Test
        void stoppedStoreRefusesAtOnceAndRestartedOneKeepsTheData() throws Exception {
            BlockBlobClient blob = blob("outage.json");
            String eTag = upload(blob, 9, null);
            URI uri = blob(server, "outage.json");

            server.stop();
            assertRefusedFast(() -> anonymousGet(uri));
            assertSdkRefusedFast(RuntimeException.class, () -> upload(blob, 10, null));

            server.start();
            assertEquals(document(9), blob.downloadContent().toString());
            HttpResponse<String> again = anonymousGet(uri);
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(quoted(eTag), again.headers().firstValue("ETag").orElse(null));
        }

        @Test
        void servesHttpsWithPemFiles() throws Exception {
            TestPki pki = TestPki.newCa();
            Path cert = WORK.resolve("azurite-tls.crt");
            Path key = WORK.resolve("azurite-tls.key");
            pki.issue("127.0.0.1").writeTo(cert, key);
            try (AzuriteServer tls = new AzuriteServer(WORK.resolve("azurite-tls"), cert, key).start()) {
                assertEquals("https", tls.blobEndpoint().getScheme());
                BlobContainerClient https = azure(tls, tls.accountKey(), pki.clientContext()).getBlobContainerClient("oidc");
                https.createWithResponse(null, PublicAccessType.BLOB, null, Context.NONE);
                String eTag = upload(https.getBlobClient("tls.json").getBlockBlobClient(), 3, null);

                HttpClient anonymousTls = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .sslContext(pki.clientContext()).connectTimeout(FAST).build();
                HttpResponse<String> read = anonymousTls.send(HttpRequest.newBuilder(blob(tls, "tls.json")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, read.statusCode(), () -> read.body() + "\n" + tls.logTail());
                assertEquals(document(3), read.body());
                assertEquals(quoted(eTag), read.headers().firstValue("ETag").orElse(null));
            }
        }

        /**
         * The Azure SDK hands out ETags without their quotes (its ScrubEtagPolicy) and takes either form in
         * conditions; on the wire, and so to an anonymous reader, they are quoted: "0x8DC...".
         */
        private String quoted(String sdkETag) {
            assertFalse(sdkETag.startsWith("\""), sdkETag);
            return "\"" + sdkETag + "\"";
        }

        private BlockBlobClient blob(String name) {
            return container.getBlobClient(name).getBlockBlobClient();
        }

        private URI blob(AzuriteServer store, String name) {
            return URI.create(store.blobEndpoint() + "/oidc/" + name);
        }

        /** Uploads document(n) as JSON with cache control and metadata; returns the ETag the write answered. */
        private String upload(BlockBlobClient blob, int n, BlobRequestConditions conditions) {
            BlockBlobSimpleUploadOptions options = new BlockBlobSimpleUploadOptions(BinaryData.fromString(document(n)))
                    .setHeaders(new BlobHttpHeaders().setContentType(JSON).setCacheControl(CACHE_CONTROL))
                    .setMetadata(Map.of(META_NAME, "7")).setRequestConditions(conditions);
            return blob.uploadWithResponse(options, null, Context.NONE).getValue().getETag();
        }
    }

    // ---- clients ------------------------------------------------------------------------------------

    /** The AWS SDK as the publisher will use it, without retries so that a failure shows at once. */
    private static S3Client s3(URI endpoint, String accessKey, String secretKey, TrustManager[] trust) {
        UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                .socketTimeout(Duration.ofSeconds(30));
        if (trust != null) {
            http.tlsTrustManagersProvider(() -> trust);
        }
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .httpClient(http.build()).requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())).build();
    }

    /** The Azure SDK on the JDK's HttpClient with a shared key, one try per request. */
    private static BlobServiceClient azure(AzuriteServer server, String accountKey, SSLContext tls) {
        HttpClient.Builder jdk = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (tls != null) {
            jdk.sslContext(tls);
        }
        return new BlobServiceClientBuilder().endpoint(server.blobEndpoint().toString())
                .credential(new StorageSharedKeyCredential(server.accountName(), accountKey))
                .httpClient(new JdkHttpClientBuilder(jdk).build())
                .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, (Duration) null, null, null, null))
                .buildClient();
    }

    private static TrustManager[] trusting(X509Certificate ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("test-ca", ca);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        return factory.getTrustManagers();
    }

    /** A reader with no credentials and no SDK: what a relying party fetching the documents does. */
    private static HttpClient anonymous() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(FAST).build();
    }

    private static HttpResponse<String> anonymousGet(URI uri) throws IOException, InterruptedException {
        return anonymous().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String document(int n) {
        return "{\"keys\":[],\"n\":" + n + "}";
    }

    // ---- outage checks ------------------------------------------------------------------------------

    private interface Call {
        Object run() throws Exception;
    }

    private static void assertRefusedFast(Call call) {
        ConnectException refused = assertFailsFast(ConnectException.class, call);
        assertTrue(refused.getMessage() == null || !refused.getMessage().contains("timed out"), refused::toString);
    }

    /**
     * Tries until the SDK is refused a connection; every try has to fail, and fail fast. The first may go out on a
     * connection kept alive from before the stop and fail writing to it (S3's URL-connection client: "Error writing
     * request body to server"), so it need not be the refusal itself.
     */
    private static void assertSdkRefusedFast(Class<? extends RuntimeException> type, Call call) {
        List<String> failures = new ArrayList<>();
        Await.until("the SDK refused a connection", () -> {
            Throwable failed = assertFailsFast(type, call);
            failures.add(String.valueOf(failed));
            return causedBy(failed, ConnectException.class);
        }, failures::toString);
        System.out.println("SDK tries while stopped, until one was refused a connection: " + failures);
    }

    private static <T extends Throwable> T assertFailsFast(Class<T> type, Call call) {
        long start = System.nanoTime();
        T thrown = assertThrows(type, call::run);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(FAST) < 0, () -> "took " + took.toMillis() + " ms to fail: " + thrown);
        return thrown;
    }

    private static boolean causedBy(Throwable thrown, Class<? extends Throwable> cause) {
        return Stream.iterate(thrown, t -> t != null, Throwable::getCause).anyMatch(cause::isInstance);
    }
}
