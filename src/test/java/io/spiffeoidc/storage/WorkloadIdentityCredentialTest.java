package io.spiffeoidc.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workload identity is what Azure targets use on AKS and OpenShift with the webhook, and the one Azure
 * credential that goes through MSAL. The build leaves MSAL's desktop token cache (and JNA) out of the image:
 * asking for a token must get as far as the network (refused here), not fail on a missing class.
 */
class WorkloadIdentityCredentialTest {

    @Test
    void asksTheNetworkWithoutTheDesktopTokenCache(@TempDir Path dir) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "eyJhbGciOiJub25lIn0.e30.");
        WorkloadIdentityCredential credential = new WorkloadIdentityCredentialBuilder().clientId("00000000-0000-0000-0000-000000000001")
                .tenantId("00000000-0000-0000-0000-000000000002").tokenFilePath(token.toString())
                .authorityHost("https://127.0.0.1:9").disableInstanceDiscovery().maxRetry(0)
                .httpClient(new JdkHttpClientBuilder().connectionTimeout(Duration.ofSeconds(2)).build()).build();
        Throwable failure = null;
        try {
            credential.getTokenSync(new TokenRequestContext().addScopes("https://storage.azure.com/.default"));
        } catch (RuntimeException | LinkageError e) {
            failure = e;
        }
        assertNotNull(failure, "no token without a token endpoint");
        boolean reachedTheNetwork = false;
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            assertFalse(cause instanceof LinkageError, "a class left out of the image is needed: " + cause);
            reachedTheNetwork |= cause instanceof java.net.ConnectException;
        }
        assertTrue(reachedTheNetwork, "MSAL got as far as connecting: " + failure);
    }
}
