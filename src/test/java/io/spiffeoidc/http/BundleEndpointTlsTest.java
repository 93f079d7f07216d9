package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.SpiffeBundleReader;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The https_web profile end to end: a SPIFFE bundle file (x509-svid and jwt-svid members) served at
 * /bundle over HTTPS with a certificate from a CA made for the test, read back with java-spiffe.
 */
@QuarkusTest
@TestProfile(BundleEndpointTlsTest.Profile.class)
class BundleEndpointTlsTest {

    static final Path DIR = Path.of("target/bundle-endpoint-tls").toAbsolutePath();
    static final Path BUNDLE = DIR.resolve("bundle.json");
    static final X509Certificate CA = TestPki.authority("file CA");

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TestPki pki = TestPki.newCa();
            pki.saveTo(DIR);
            pki.issue("bundle-endpoint").writeTo(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
            return TestProfiles.fileSource(BUNDLE, bundle(TestPki.member(CA), 1),
                    "spiffe-oidc.bundle-endpoint.path", "/bundle",
                    "spiffe-oidc.allow-insecure-scheme", "false",
                    "quarkus.tls.public.key-store.pem.0.cert", DIR.resolve("tls.crt").toString(),
                    "quarkus.tls.public.key-store.pem.0.key", DIR.resolve("tls.key").toString(),
                    "quarkus.http.insecure-requests", "disabled");
        }
    }

    static String bundle(Map<String, Object> x509Member, long sequence) {
        Map<String, Object> jwt = new HashMap<>(TestBundles.ec("file-jwt").toPublicJWK().toJSONObject());
        jwt.put("use", "jwt-svid");
        return TestBundles.document(List.of(x509Member, jwt), sequence);
    }

    @TestHTTPResource(value = "/", tls = true)
    URL base;

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void theBundleIsServedOverHttpsAndARefusedFileKeepsTheLastGoodOne() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(TestPki.loadFrom(DIR).clientContext()).build();
        URI bundle = URI.create("https://localhost:" + base.getPort() + "/bundle");
        Await.until("the bundle over HTTPS", () -> status(client, bundle) == 200);
        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(bundle).build(), HttpResponse.BodyHandlers.ofByteArray());
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", response.body());
        assertEquals(Set.of(CA), read.x509().getX509Authorities());
        assertEquals(Set.of("file-jwt"), read.jwt().getJwtAuthorities().keySet());
        String etag = response.headers().firstValue("ETag").orElseThrow();

        TestBundles.writeAtomically(BUNDLE, bundle(TestPki.member(TestPki.selfSignedLeaf("file leaf")), 2));
        Await.until("the leaf refused", () -> body(HttpClient.newHttpClient(), URI.create(metrics.toString()))
                .contains("spiffe_oidc_bundle_updates_refused_total{reason=\"x509-authority-not-ca\"} 1.0"));
        HttpResponse<byte[]> after = client.send(HttpRequest.newBuilder(bundle).build(), HttpResponse.BodyHandlers.ofByteArray());
        // The JWT side of the new file (sequence 2) was applied; the X.509 authorities are the last good ones.
        read = SpiffeBundleReader.read("example.org", after.body());
        assertEquals(Set.of(CA), read.x509().getX509Authorities());
        assertEquals(2L, ((Number) read.root().get("spiffe_sequence")).longValue());
        assertEquals(false, etag.equals(after.headers().firstValue("ETag").orElseThrow()));
    }

    private static int status(HttpClient client, URI uri) {
        try {
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static String body(HttpClient client, URI uri) {
        try {
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }
}
