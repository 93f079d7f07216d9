package io.spiffeoidc.http;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.emptyString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestBundles;
import java.net.URL;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The two documents over real HTTP, with the test profile's derived issuer and host allow-list. */
@QuarkusTest
class DocumentsTest {

    static final Path BUNDLE = Path.of("target/test-bundles/default.json");
    static final JWK RSA = TestBundles.rsa("rsa-a");
    static final JWK EC = TestBundles.ec("ec-a", Curve.P_256);
    static final String DISCOVERY = "/.well-known/openid-configuration";

    @TestHTTPResource("/")
    URL base;

    @BeforeEach
    void serveKnownBundle() {
        TestBundles.writeAtomically(BUNDLE, TestBundles.spiffeBundle(TestBundles.nextSequence(), EC, RSA));
        Await.until("the test bundle to be served", () -> {
            Response r = given().get("/keys");
            return r.statusCode() == 200 && r.jsonPath().getList("keys.kid").equals(List.of("ec-a", "rsa-a"));
        });
    }

    /** Off unless spiffe-oidc.bundle-endpoint.path is set, even for a bundle file that has X.509 authorities. */
    @ParameterizedTest
    @ValueSource(strings = {"/bundle", "/", "/.well-known/spiffe-bundle"})
    void theSpiffeBundleEndpointIsOffByDefault(String path) {
        given().get(path).then().statusCode(404).body("error", equalTo("not found"));
    }

    @Test
    void discoveryDocumentDerivesIssuerFromTheRequestHost() {
        String origin = "http://localhost:" + base.getPort();
        given().get(DISCOVERY).then()
                .statusCode(200)
                .body("issuer", equalTo(origin))
                .body("jwks_uri", equalTo(origin + "/keys"))
                .body("response_types_supported", contains("id_token"))
                .body("subject_types_supported", contains("public"))
                .body("id_token_signing_alg_values_supported", contains("RS256", "ES256"))
                .body("authorization_endpoint", nullValue())
                .body("token_endpoint", nullValue());
    }

    @Test
    void hostNamesAreComparedCaseInsensitivelyAndLowerCasedInDerivedUrls() {
        given().header("Host", "OIDC.Example.TEST").get(DISCOVERY).then()
                .statusCode(200)
                .body("issuer", equalTo("http://oidc.example.test"))
                .body("jwks_uri", equalTo("http://oidc.example.test/keys"));
        given().header("Host", "oidc.example.test:8443").get(DISCOVERY).then()
                .statusCode(200)
                .body("issuer", equalTo("http://oidc.example.test:8443"));
    }

    /**
     * A Host port the configuration does not list (nor the listener the request came in on) stands for the
     * host alone: every such request gets the portless issuer's document, so invented ports can grow no
     * per-authority cache. 8443 is quarkus.http.ssl-port, a listed port.
     */
    @Test
    void hostPortsTheConfigurationDoesNotListStandForTheHostAlone() {
        Response portless = given().header("Host", "oidc.example.test").get(DISCOVERY);
        portless.then().statusCode(200).body("issuer", equalTo("http://oidc.example.test"));
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 300; i++) {
            int port = 1024 + random.nextInt(60000);
            if (port == 8443 || port == base.getPort()) {
                continue;
            }
            Response invented = given().header("Host", "OIDC.example.test:" + port).get(DISCOVERY);
            assertEquals(200, invented.statusCode());
            assertEquals("http://oidc.example.test", invented.jsonPath().getString("issuer"), "port " + port);
            assertEquals("http://oidc.example.test/keys", invented.jsonPath().getString("jwks_uri"), "port " + port);
            assertEquals(portless.header("ETag"), invented.header("ETag"), "port " + port);
        }
    }

    @Test
    void keysCarryKidAlgUseAndNoPrivateParameters() {
        given().get("/keys").then()
                .statusCode(200)
                .body("keys.kid", contains("ec-a", "rsa-a"))
                .body("keys.alg", contains("ES256", "RS256"))
                .body("keys.use", everyItem(equalTo("sig")))
                .body("keys.kty", contains("EC", "RSA"))
                .body("keys.d", everyItem(nullValue()))
                .body("keys.p", everyItem(nullValue()));
    }

    @Test
    void responsesCarryCachingAndSafetyHeaders() {
        for (String path : List.of("/keys", DISCOVERY)) {
            given().get(path).then()
                    .statusCode(200)
                    .header("Content-Type", "application/json")
                    .header("Cache-Control", "public, max-age=300")
                    .header("Access-Control-Allow-Origin", "*")
                    .header("X-Content-Type-Options", "nosniff")
                    .header("ETag", not(emptyString()))
                    .header("Server", nullValue())
                    .header("Last-Modified", nullValue());
        }
    }

    @Test
    void matchingEntityTagGives304WithoutBody() {
        for (String path : List.of("/keys", DISCOVERY)) {
            String etag = given().get(path).header("ETag");
            given().header("If-None-Match", etag).get(path).then()
                    .statusCode(304).header("ETag", etag).header("Cache-Control", "public, max-age=300")
                    .body(emptyString());
            given().header("If-None-Match", "\"other\", W/" + etag).get(path).then().statusCode(304);
            given().header("If-None-Match", "\"other\"").get(path).then().statusCode(200);
        }
    }

    @Test
    void entityTagChangesWithTheKeysAndMatchesTheBytes() {
        String before = given().get("/keys").header("ETag");
        TestBundles.writeAtomically(BUNDLE, TestBundles.spiffeBundle(TestBundles.nextSequence(), RSA));
        Await.until("rotation", () -> given().get("/keys").jsonPath().getList("keys.kid").equals(List.of("rsa-a")));
        String after = given().get("/keys").header("ETag");
        assertEquals(false, before.equals(after));
        given().header("If-None-Match", before).get("/keys").then().statusCode(200);
    }

    @Test
    void headAnswersLikeGetWithoutABody() {
        for (String path : List.of("/keys", DISCOVERY)) {
            Response get = given().get(path);
            given().head(path).then()
                    .statusCode(200)
                    .header("Content-Length", String.valueOf(get.asByteArray().length))
                    .header("ETag", get.header("ETag"))
                    .body(emptyString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})
    void otherMethodsGet405WithAllow(String method) {
        for (String path : List.of("/keys", DISCOVERY)) {
            given().request(method, path).then()
                    .statusCode(405)
                    .header("Allow", "GET, HEAD")
                    .header("Content-Type", "application/json")
                    .body("error", equalTo("method not allowed"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/keys/", "/.well-known/openid-configuration/", "/.well-known", "/KEYS", "/keys.json",
            "/./keys", "/x/../keys", "/%6Beys", "/q/health", "/q/metrics"})
    void unknownPathsGet404AndNeverARedirect(String path) {
        RawHttp.Response reply = RawHttp.send(base.getPort(),
                "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(404, reply.status(), reply.head());
        assertNull(reply.header("Location"));
        assertEquals("{\"error\":\"not found\"}", reply.body());
    }

    @Test
    void queryStringsDoNotChangeTheAnswer() {
        given().get("/keys?x=1").then().statusCode(200).body("keys.kid", contains("ec-a", "rsa-a"));
    }

    @Test
    void hostsOutsideTheAllowListGet400OnEveryPath() {
        for (String host : List.of("evil.example", "localhost.evil.example", "xlocalhost", "oidc.example.test.evil")) {
            for (String path : List.of("/keys", DISCOVERY, "/nope")) {
                given().header("Host", host).get(path).then()
                        .statusCode(400)
                        .header("Content-Type", "application/json")
                        .body("error", equalTo("host not allowed"));
            }
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void rejectedHostsDoNotCreateAMetricSeriesPerPath() {
        for (int i = 0; i < 5; i++) {
            given().header("Host", "evil.example").get("/invented-" + i).then().statusCode(400);
        }
        String text = io.restassured.RestAssured.given().get(metrics).asString();
        org.junit.jupiter.api.Assertions.assertFalse(text.contains("invented-"), "raw paths became metric tags");
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("uri=\"/HOST_NOT_ALLOWED\""), text);
    }

    @Test
    void refusalsOnAnyPathDoNotCreateAMetricSeriesPerPath() {
        StringBuilder manyHeaders = new StringBuilder();
        for (int i = 0; i <= PublicRoutes.MAX_REQUEST_HEADERS; i++) {
            manyHeaders.append("X-H").append(i).append(": v\r\n");
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(431, RawHttp.send(base.getPort(), "GET /made-up-headers-" + i + " HTTP/1.1\r\nHost: localhost\r\n"
                    + manyHeaders + "Connection: close\r\n\r\n").status());
            assertEquals(413, RawHttp.send(base.getPort(), "POST /made-up-body-" + i + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 2\r\n\r\nab").status());
            assertEquals(404, RawHttp.send(base.getPort(), "GET /made-up-path-" + i + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Connection: close\r\n\r\n").status());
            assertEquals(431, RawHttp.send(base.getPort(), "GET /made-up-block-" + i + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Padding: " + "p".repeat(9000) + "\r\nConnection: close\r\n\r\n").status());
        }
        given().post("/keys").then().statusCode(405);
        String text = io.restassured.RestAssured.given().get(metrics).asString();
        org.junit.jupiter.api.Assertions.assertFalse(text.contains("made-up-"), () -> "raw paths became metric tags: "
                + text.lines().filter(line -> line.contains("made-up-")).toList());
        for (String tag : List.of("/TOO_MANY_HEADERS", "/BODY_NOT_ACCEPTED", "/METHOD_NOT_ALLOWED", "NOT_FOUND", "UNKNOWN")) {
            org.junit.jupiter.api.Assertions.assertTrue(text.contains("uri=\"" + tag + "\""), tag + " in " + text);
        }
    }

    @Test
    void malformedAndMissingHostsGet400() {
        List<byte[]> requests = List.of(
                "GET /keys HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                "GET /keys HTTP/1.1\r\nHost: bücher.example\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "GET /keys HTTP/1.1\r\nHost: localhost:99999\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                "GET /keys HTTP/1.1\r\nHost: localhost:80x\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                "GET /keys HTTP/1.1\r\nHost: <script>\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        for (byte[] request : requests) {
            RawHttp.Response reply = RawHttp.send(base.getPort(), request);
            assertEquals(400, reply.status(), reply.head());
            assertEquals(false, reply.body().contains("script"), reply.body());
        }
    }

    @Test
    void duplicateHostFieldsAndForeignAbsoluteTargetsGet400() {
        for (String request : List.of(
                "GET /keys HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
                "GET /keys HTTP/1.1\r\nHost: evil.example\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "GET http://evil.example/keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "GET HTTPS://evil.example:443/keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")) {
            RawHttp.Response reply = RawHttp.send(base.getPort(), request);
            assertEquals(400, reply.status(), request);
            assertEquals("{\"error\":\"host not allowed\"}", reply.body());
        }
        RawHttp.Response allowed = RawHttp.send(base.getPort(),
                "GET http://localhost/keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(200, allowed.status(), allowed.head());
    }

    @Test
    void requestsVertxRefusesBeforeRoutingGetTheFixedBodies() {
        RawHttp.Response noHost = RawHttp.send(base.getPort(), "GET /keys HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertEquals(400, noHost.status(), noHost.head());
        assertEquals("{\"error\":\"host not allowed\"}", noHost.body());
        RawHttp.Response foreignConnect = RawHttp.send(base.getPort(),
                "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n");
        assertEquals(400, foreignConnect.status(), foreignConnect.head());
        assertEquals("{\"error\":\"host not allowed\"}", foreignConnect.body());
        RawHttp.Response connect = RawHttp.send(base.getPort(),
                "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(404, connect.status(), connect.head());
        assertEquals("{\"error\":\"not found\"}", connect.body());
    }

    @Test
    void forwardedHeadersAreIgnoredUnlessTrusted() {
        given().header("X-Forwarded-Host", "evil.example").header("X-Forwarded-Proto", "https")
                .header("Forwarded", "host=evil.example;proto=https")
                .get(DISCOVERY).then()
                .statusCode(200)
                .body("issuer", equalTo("http://localhost:" + base.getPort()));
    }

    @Test
    void documentsDoNotVaryByForwardedHeadersUnlessTheyAreTrusted() {
        given().get(DISCOVERY).then().statusCode(200).header("Vary", nullValue());
    }

    @Test
    void errorBodiesNeverEchoTheRequest() {
        RawHttp.Response reply = RawHttp.send(base.getPort(),
                "GET /%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(404, reply.status());
        assertEquals("{\"error\":\"not found\"}", reply.body());
        given().get("/keys").then().body("keys.kid", not(hasItem("script")));
    }
}
