package io.spiffeoidc.source.workload;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestBundles;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The whole service on the production source: a real Workload API stream feeds GET /keys. */
@QuarkusTest
@TestProfile(WorkloadApiKeysEndpointTest.AgentProfile.class)
class WorkloadApiKeysEndpointTest {

    public static class AgentProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "spiffe-oidc.source", "workload-api",
                    "spiffe-oidc.trust-domain", "example.org",
                    "spiffe-oidc.domains", "localhost");
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(FakeAgentResource.class));
        }
    }

    @Test
    void servesTheAgentsKeysAndFollowsARotation() throws Exception {
        Await.until("the agent's first key served", () -> servedKids().equals(List.of(FakeAgentResource.FIRST_KID)),
                () -> servedKids().toString());

        FakeAgentResource.pushBundle(TestBundles.jwks(TestBundles.ec("agent-key-1"), TestBundles.ec("agent-key-2")));
        Await.until("the rotated keys served", () -> servedKids().equals(List.of("agent-key-1", "agent-key-2")),
                () -> servedKids().toString());
        given().get("/keys").then().statusCode(200).body("keys.use", contains("sig", "sig"));
    }

    private static List<String> servedKids() {
        var response = given().get("/keys");
        return response.statusCode() == 200 ? response.jsonPath().getList("keys.kid", String.class) : List.of();
    }
}
