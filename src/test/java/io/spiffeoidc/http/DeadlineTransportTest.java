package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.MapBackedConfigSource;
import io.spiffeoidc.config.ConfigProblems;
import io.spiffeoidc.config.ProviderConfig;
import io.spiffeoidc.config.ProviderSettings;
import io.spiffeoidc.config.QuarkusSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The service's transports on a real Vert.x, as Quarkus builds it (native transports preferred): the
 * deadline is on a listener from its first connection, and a listener it could not be put on stops
 * start-up with one line.
 */
class DeadlineTransportTest {

    private Vertx vertx;

    @AfterEach
    void close() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static RequestHeadDeadlines deadlines(Vertx vertx) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(ProviderConfig.class).withMapping(QuarkusSettings.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new MapBackedConfigSource("test", Map.of("spiffe-oidc.source", "file",
                        "spiffe-oidc.file.path", "/b.json", "spiffe-oidc.domains", "localhost",
                        "spiffe-oidc.request-head-timeout", "1s")) {
                })
                .build();
        ProviderSettings settings = ConfigProblems.validate(config.getConfigMapping(ProviderConfig.class),
                config.getConfigMapping(QuarkusSettings.class)).settings().orElseThrow();
        RequestHeadDeadlines deadlines = new RequestHeadDeadlines();
        deadlines.vertx = vertx;
        deadlines.settings = settings;
        return deadlines;
    }

    private static Vertx asQuarkusBuildsIt() {
        return Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    }

    private HttpServer listen() throws Exception {
        return vertx.createHttpServer().requestHandler(request -> request.response().end()).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void vertxTakesTheServicesTransportAndStillKnowsWhetherItIsNative() {
        vertx = asQuarkusBuildsIt();
        Transport transport = ((VertxInternal) vertx).transport();
        assertInstanceOf(DeadlineTransport.class, transport);
        assertEquals(transport instanceof NativeDeadlineTransport, vertx.isNativeTransportEnabled());
    }

    @Test
    void theFirstConnectionALiveListenerAcceptsHasTheDeadline() throws Exception {
        vertx = asQuarkusBuildsIt();
        deadlines(vertx).arm();
        HttpServer server = listen();
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            long connected = System.nanoTime();
            socket.setSoTimeout(10_000);
            assertEquals(-1, readToClose(socket), "a connection that sends nothing is closed");
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connected);
            assertTrue(elapsed >= 900 && elapsed < 5000, "closed after " + elapsed + " ms");
        }
    }

    @Test
    void aListenerConfiguredBeforeTheDeadlineWasArmedStopsStartUp() throws Exception {
        vertx = asQuarkusBuildsIt();
        listen();
        ConfigurationException refusal = assertThrows(ConfigurationException.class, () -> deadlines(vertx).arm());
        assertEquals("spiffe-oidc.request-head-timeout: cannot be applied: a listener was configured before the deadline"
                + " was armed", refusal.getMessage());
    }

    @Test
    void aVertxWithoutTheServicesTransportStopsStartUp() {
        vertx = Vertx.vertx();
        ConfigurationException refusal = assertThrows(ConfigurationException.class, () -> deadlines(vertx).arm());
        assertEquals("spiffe-oidc.request-head-timeout: cannot be applied: Vert.x builds its listeners with "
                + ((VertxInternal) vertx).transport().getClass().getName() + " instead of the service's transport; keep"
                + " quarkus.vertx.prefer-native-transport=true", refusal.getMessage());
    }

    /** -1 once the server closed the connection (a reset counts as closed too). */
    private static int readToClose(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (java.net.SocketTimeoutException stillOpen) {
            throw stillOpen;
        } catch (IOException reset) {
            return -1;
        }
    }
}
