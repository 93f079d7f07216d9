package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.RawHttp.Response;
import io.spiffeoidc.testsupport.TestProfiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Listener mode 3: a Unix domain socket for a reverse proxy in the same pod. */
@QuarkusTest
@TestProfile(DomainSocketListenerTest.Profile.class)
class DomainSocketListenerTest {

    static final Path SOCKET = Path.of("target/uds-test/http.sock").toAbsolutePath();

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.createDirectories(SOCKET.getParent());
                Files.deleteIfExists(SOCKET);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/domain-socket.json"),
                    "spiffe-oidc.allow-insecure-scheme", "false",
                    "quarkus.http.domain-socket", SOCKET.toString(),
                    "quarkus.http.domain-socket-enabled", "true");
        }
    }

    private static Response overSocket(String request) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(SOCKET));
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
            return RawHttp.read(Channels.newInputStream(channel), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void servesKeysOverTheSocket() throws Exception {
        String request = "GET /keys HTTP/1.1\r\nHost: oidc.example.test\r\nConnection: close\r\n\r\n";
        // The file source publishes shortly after start; until then the listener answers 503.
        Response response = Await.result("/keys published over the socket", () -> overSocket(request),
                answer -> answer.status() != 503);
        assertEquals(200, response.status());
        assertTrue(response.body().startsWith("{\"keys\":["), response.body());
    }

    @Test
    void theProxysHostHeaderMakesTheIssuerAndPassesTheHostCheck() throws Exception {
        servesKeysOverTheSocket();
        Response discovery = overSocket(
                "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: oidc.example.test\r\nConnection: close\r\n\r\n");
        assertEquals(200, discovery.status());
        // The proxy terminated TLS; plain http is not allowed, so the issuer is https.
        assertTrue(discovery.body().contains("\"issuer\":\"https://oidc.example.test\""), discovery.body());

        Response foreign = overSocket("GET /keys HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n");
        assertEquals(400, foreign.status());
    }
}
