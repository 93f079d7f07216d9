package io.spiffeoidc.storage;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestBundles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The service as deployed with a directory target: keys pushed by a fake SPIRE agent reach the directory
 * as the same bytes the public listener serves, and the time from each push to the new JWKS being readable
 * there is reported.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeAgentResource.class, restrictToAnnotatedClass = true)
@TestProfile(StaticIssuerFromAgentTest.DirectoryTarget.class)
class StaticIssuerFromAgentTest {

    static final Path DIRECTORY = Path.of("target/test-static-issuer/www").toAbsolutePath();
    static final String ISSUER = "https://localhost/td";

    public static class DirectoryTarget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                // A directory left by an earlier run holds key sets this agent never delivers: a new instance
                // would rightly wait adopt-after before replacing them.
                if (Files.exists(DIRECTORY)) {
                    try (var files = Files.walk(DIRECTORY)) {
                        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.delete(file);
                        }
                    }
                }
                Files.createDirectories(DIRECTORY);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return FakeAgentResource.agentSource("spiffe-oidc.issuer", ISSUER, "spiffe-oidc.jwks-uri", ISSUER + "/keys",
                    "spiffe-oidc.path-prefix", "/td", "spiffe-oidc.target.\"www\".type", "directory",
                    "spiffe-oidc.target.\"www\".prefix", "td/", "spiffe-oidc.target.\"www\".directory.path", DIRECTORY.toString());
        }
    }

    @TestHTTPResource(value = "/metrics", management = true)
    URL metrics;

    @Test
    void agentPushesReachTheDirectoryAsTheListenersBytes() throws Exception {
        Await.until("the agent's first key in the directory", () -> jwks().contains(FakeAgentResource.FIRST_KID));
        List<Long> millis = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            String kid = "rotated-" + k + "-" + System.nanoTime();
            String bundle = TestBundles.jwks(TestBundles.ec(kid));
            long pushed = System.nanoTime();
            FakeAgentResource.pushBundle(bundle);
            Await.until("rotation " + k + " in the directory", () -> jwks().contains(kid));
            millis.add((System.nanoTime() - pushed) / 1_000_000);
        }
        byte[] served = given().get("/td/keys").then().statusCode(200).extract().asByteArray();
        assertArrayEquals(served, Files.readAllBytes(DIRECTORY.resolve("td/keys")), "the listener's bytes");
        byte[] discovery = given().get("/td/.well-known/openid-configuration").then().statusCode(200).extract().asByteArray();
        assertArrayEquals(discovery, Files.readAllBytes(DIRECTORY.resolve("td/.well-known/openid-configuration")));
        System.out.println("directory target: push to readable, ms: " + millis);
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf("directory target: agent push to readable JWKS over %d rotations: p50 %d ms, p99 %d ms, max %d ms%n",
                sorted.size(), sorted.get(sorted.size() / 2), sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1),
                sorted.get(sorted.size() - 1));
        RestAssured.given().get(metrics).then().statusCode(200)
                .body(containsString("spiffe_oidc_target_lease_held{target=\"www\",trust_domain=\"example.org\"} 1.0"))
                .body(containsString("spiffe_oidc_target_behind_seconds{target=\"www\",trust_domain=\"example.org\"} 0.0"));
        assertEquals(0, (int) Double.parseDouble(metricValue("spiffe_oidc_target_failures_total{reason=\"unavailable\"")));
    }

    private String metricValue(String prefix) {
        String body = RestAssured.given().get(metrics).then().extract().asString();
        return body.lines().filter(line -> line.startsWith(prefix)).findFirst().map(line -> line.substring(line.lastIndexOf(' ') + 1))
                .orElseThrow(() -> new AssertionError("no metric " + prefix));
    }

    private static String jwks() {
        try {
            return Files.readString(DIRECTORY.resolve("td/keys"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
