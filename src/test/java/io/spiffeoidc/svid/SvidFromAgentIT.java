package io.spiffeoidc.svid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.spire.PackagedService;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.FreePorts;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * The packaged service in SPIRE's drop-in mode with serving_cert_source "workload_api", started the way the image
 * starts it (prod profile, whose default certificate files must then not count), while the agent is away: not
 * ready and no handshake completes; then the agent answers, and the service is ready within 10 s, serves /keys to
 * a client that trusts only the trust domain's X.509 bundle and checks the SPIFFE ID, and follows a rotation.
 */
class SvidFromAgentIT {

    private static final Path DIR = Path.of("target/svid-it").toAbsolutePath();
    private static final String PROVIDER_ID = "spiffe://example.org/oidc-provider";

    private final Path socket = DIR.resolve("agent.sock");
    private final int https = FreePorts.loopback();
    private final int health = FreePorts.loopback();
    private final int management = FreePorts.loopback();

    /** The packaged service with SPIRE's file, its output in {@code log}. */
    private ProcessBuilder service(Path log) throws IOException {
        Files.createDirectories(DIR);
        Files.deleteIfExists(socket);
        Path config = DIR.resolve("oidc-discovery-provider.conf");
        Files.writeString(config, "{\"domains\": [\"localhost\", \"127.0.0.1\"],"
                + " \"serving_cert_source\": {\"workload_api\": {\"addr\": \"127.0.0.1:" + https + "\"}},"
                + " \"workload_api\": {\"socket_path\": \"" + socket + "\", \"trust_domain\": \"example.org\"},"
                + " \"health_checks\": {\"bind_port\": " + health + "}}");
        ProcessBuilder builder = new ProcessBuilder(PackagedService.command(Path.of("").toAbsolutePath(),
                List.of("-config", config.toString()))).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
        builder.environment().put("QUARKUS_MANAGEMENT_PORT", String.valueOf(management));
        return builder;
    }

    /**
     * The agent serves the trust domain's keys but has no SVID for the provider yet (its entry is still being
     * registered): the keys are served, yet the replica is not ready, because no handshake can complete.
     */
    @Test
    void keysWithoutAnSvidAreNotReady() throws Exception {
        ProcessBuilder builder = service(DIR.resolve("service-no-svid.log"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        TestPki trustDomain = TestPki.newCa();
        Process process = builder.start();
        try (FakeWorkloadApi agent = new FakeWorkloadApi(socket)) {
            agent.setBundle("spiffe://example.org", TestBundles.jwks(TestBundles.ec("agent-key-1")));
            agent.start();
            String readiness = Await.result("the keys served, the certificate not", Duration.ofSeconds(60),
                    () -> body(http, "http://127.0.0.1:" + management + "/q/health/ready"),
                    body -> body.contains("\"keyIds\": \"agent-key-1\"") || body.contains("\"keyIds\":\"agent-key-1\""));
            assertTrue(readiness.contains("no X509-SVID received from the agent yet"), readiness);
            assertEquals(503, status(http, health));

            TestPki.Leaf svid = trustDomain.issueSvid(PROVIDER_ID);
            long pushed = System.nanoTime();
            push(agent, trustDomain, svid);
            Await.until("ready once the SVID is served", Duration.ofSeconds(10), () -> status(http, health) == 200);
            System.out.println("Packaged service: ready " + Duration.ofNanos(System.nanoTime() - pushed).toMillis()
                    + " ms after the agent pushed the provider's first SVID");
        } finally {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void agentAwayAtStartThenTheSvidIsServedAndRotated() throws Exception {
        ProcessBuilder builder = service(DIR.resolve("service.log"));

        TestPki trustDomain = TestPki.newCa();
        SvidTestClient client = new SvidTestClient(trustDomain.caCertificate(), PROVIDER_ID);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Process process = builder.start();
        try (FakeWorkloadApi agent = new FakeWorkloadApi(socket)) {
            Await.until("the health listener answers, not ready", Duration.ofSeconds(60), () -> status(http, health) == 503);
            assertThrows(IOException.class, () -> client.connect(https).close(), "no handshake before an SVID is served");

            agent.setBundle("spiffe://example.org", TestBundles.jwks(TestBundles.ec("agent-key-1")));
            TestPki.Leaf first = trustDomain.issueSvid(PROVIDER_ID);
            push(agent, trustDomain, first);
            long answering = System.nanoTime();
            agent.start();
            Await.until("ready within 10 s of the agent answering", Duration.ofSeconds(10), () -> status(http, health) == 200);
            long readyMillis = Duration.ofNanos(System.nanoTime() - answering).toMillis();

            assertEquals(first.certificate().getSerialNumber(), served(client, https, first.certificate().getSerialNumber()));
            try (SSLSocket open = client.connect(https)) {
                String[] response = SvidTestClient.get(open, "/keys");
                assertEquals("HTTP/1.1 200 OK", response[0]);
                assertTrue(response[1].contains("agent-key-1"), response[1]);

                TestPki.Leaf second = trustDomain.issueSvid(PROVIDER_ID);
                long pushed = System.nanoTime();
                push(agent, trustDomain, second);
                served(client, https, second.certificate().getSerialNumber());
                long rotationMillis = Duration.ofNanos(System.nanoTime() - pushed).toMillis();
                assertEquals("HTTP/1.1 200 OK", SvidTestClient.get(open, "/keys")[0], "the connection opened before the rotation");
                System.out.println("Packaged service: ready " + readyMillis + " ms after the agent answered; rotation served to new"
                        + " connections " + rotationMillis + " ms after the push");
                Files.writeString(DIR.resolve("timings.txt"), "ready-after-agent-ms=" + readyMillis + "\nrotation-ms=" + rotationMillis + "\n");
            }
        } finally {
            process.destroy();
            process.waitFor(20, TimeUnit.SECONDS);
        }
        String log = Files.readString(DIR.resolve("service.log"));
        assertTrue(log.contains("Serving X509-SVID " + PROVIDER_ID), log);
        assertTrue(!log.contains("Exception"), log);
    }

    private static void push(FakeWorkloadApi agent, TestPki trustDomain, TestPki.Leaf svid) {
        agent.setX509Svid(PROVIDER_ID, TestPki.der(svid.certificate()), svid.keys().getPrivate().getEncoded(),
                TestPki.der(trustDomain.caCertificate()));
    }

    private static BigInteger served(SvidTestClient client, int port, BigInteger serial) {
        return Await.result("new connections get serial " + serial.toString(16), () -> {
            try (SSLSocket socket = client.connect(port)) {
                return SvidTestClient.peer(socket).getSerialNumber();
            } catch (IOException e) {
                return BigInteger.ZERO;
            }
        }, serial::equals);
    }

    private static String body(HttpClient http, String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "no answer: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static int status(HttpClient http, int port) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
