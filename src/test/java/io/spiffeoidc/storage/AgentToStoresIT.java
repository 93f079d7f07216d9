package io.spiffeoidc.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeAgentResource;
import io.spiffeoidc.testsupport.TestBundles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The service fed by a fake SPIRE agent, publishing one issuer to S3Proxy and Azurite at once: every push
 * reaches both stores' public URLs as the listener's bytes, and the time from each push to the new JWKS
 * being readable there is reported. A Quarkus test run by failsafe, after the build has fetched the stores.
 */
@QuarkusTest
@QuarkusTestResource(value = FakeAgentResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = StoresResource.class, restrictToAnnotatedClass = true)
@TestProfile(AgentToStoresIT.StaticIssuer.class)
class AgentToStoresIT {

    static final String ISSUER = "https://localhost/td";

    public static class StaticIssuer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return FakeAgentResource.agentSource("spiffe-oidc.issuer", ISSUER, "spiffe-oidc.jwks-uri", ISSUER + "/keys",
                    "spiffe-oidc.path-prefix", "/td");
        }
    }

    @Test
    void agentPushesReachBothStoresAsTheListenersBytes() throws Exception {
        AnonymousReader s3 = new AnonymousReader(config(StoresResource.S3_PUBLIC));
        AnonymousReader azure = new AnonymousReader(config(StoresResource.AZURE_PUBLIC));
        Await.until("the agent's first key in both stores",
                () -> jwks(s3).contains(FakeAgentResource.FIRST_KID) && jwks(azure).contains(FakeAgentResource.FIRST_KID));
        List<Long> s3Millis = new ArrayList<>();
        List<Long> azureMillis = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            String kid = "rotated-" + k + "-" + System.nanoTime();
            String bundle = TestBundles.jwks(TestBundles.ec(kid));
            long pushed = System.nanoTime();
            FakeAgentResource.pushBundle(bundle);
            long[] seen = new long[2];
            Await.until("rotation " + k + " in both stores", () -> {
                if (seen[0] == 0 && jwks(s3).contains(kid)) {
                    seen[0] = System.nanoTime();
                }
                if (seen[1] == 0 && jwks(azure).contains(kid)) {
                    seen[1] = System.nanoTime();
                }
                return seen[0] != 0 && seen[1] != 0;
            });
            s3Millis.add((seen[0] - pushed) / 1_000_000);
            azureMillis.add((seen[1] - pushed) / 1_000_000);
        }
        byte[] served = io.restassured.RestAssured.given().get("/td/keys").then().statusCode(200).extract().asByteArray();
        assertArrayEquals(served, s3.fetch("td/keys").orElseThrow().body(), "S3: the listener's bytes");
        assertArrayEquals(served, azure.fetch("td/keys").orElseThrow().body(), "Azure: the listener's bytes");
        System.out.println("S3Proxy: agent push to readable JWKS at the public URL: " + StoreTargetsIT.percentiles(s3Millis));
        System.out.println("Azurite: agent push to readable JWKS at the public URL: " + StoreTargetsIT.percentiles(azureMillis));
    }

    private static String config(String key) {
        return ConfigProvider.getConfig().getValue(key, String.class);
    }

    private static String jwks(AnonymousReader reader) {
        try {
            return reader.fetch("td/keys").map(fetched -> new String(fetched.body(), StandardCharsets.UTF_8)).orElse("");
        } catch (Exception e) {
            return "";
        }
    }
}
