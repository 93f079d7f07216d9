package io.spiffeoidc.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestProfiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * spiffe-oidc.request-head-timeout over plain HTTP and TLS: a request head that does not arrive in time
 * ends the connection however steadily it trickles in, and well-behaved keep-alive clients never notice.
 */
@QuarkusTest
@TestProfile(RequestHeadDeadlineTest.Profile.class)
class RequestHeadDeadlineTest {

    static final Path DIR = Path.of("target/request-head-test").toAbsolutePath();
    static final long DEADLINE_MS = 3000;
    /** Timer and scheduling slack on a busy machine, on top of the deadline. */
    static final long SLACK_MS = 1000;

    public static class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TestPki pki = TestPki.newCa();
            pki.saveTo(DIR);
            pki.issue("deadline").writeTo(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
            return TestProfiles.fileSourceWithOneKey(Path.of("target/test-bundles/request-head.json"),
                    "spiffe-oidc.request-head-timeout", DEADLINE_MS + "ms",
                    "quarkus.tls.public.key-store.pem.0.cert", DIR.resolve("tls.crt").toString(),
                    "quarkus.tls.public.key-store.pem.0.key", DIR.resolve("tls.key").toString(),
                    "quarkus.http.insecure-requests", "enabled");
        }
    }

    @TestHTTPResource("/")
    URL plain;

    @TestHTTPResource(value = "/", tls = true)
    URL tls;

    @BeforeEach
    void keysServed() {
        Await.until("the keys to be served", () -> RawHttp.send(plain.getPort(),
                "GET /keys HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status() == 200);
    }

    private Socket plainSocket() throws IOException {
        Socket socket = new Socket("127.0.0.1", plain.getPort());
        socket.setSoTimeout((int) (DEADLINE_MS * 5));
        return socket;
    }

    private SSLSocket tlsSocket() throws IOException {
        SSLSocket socket = (SSLSocket) TestPki.loadFrom(DIR).clientContext().getSocketFactory()
                .createSocket("localhost", tls.getPort());
        socket.setSoTimeout((int) (DEADLINE_MS * 5));
        socket.startHandshake();
        return socket;
    }

    @Test
    void aTricklingHeadIsCutOffAtTheDeadlineOverPlainHttp() throws Exception {
        try (Socket socket = plainSocket()) {
            assertClosedAtTheDeadline(socket, System.nanoTime());
        }
    }

    @Test
    void aTricklingHeadIsCutOffAtTheDeadlineOverTls() throws Exception {
        long connected = System.nanoTime();
        try (SSLSocket socket = tlsSocket()) {
            assertClosedAtTheDeadline(socket, connected);
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheDeadline() throws Exception {
        try (Socket socket = plainSocket()) {
            long connected = System.nanoTime();
            assertEquals(-1, readToClose(socket.getInputStream()));
            assertClosedBetween(connected, DEADLINE_MS, DEADLINE_MS + SLACK_MS);
        }
    }

    @Test
    void keepAliveClientsAreNotDisturbedOverPlainHttp() throws Exception {
        try (Socket socket = plainSocket()) {
            assertKeepAliveWorks(socket);
        }
    }

    @Test
    void keepAliveClientsAreNotDisturbedOverTls() throws Exception {
        try (SSLSocket socket = tlsSocket()) {
            assertKeepAliveWorks(socket);
        }
    }

    /**
     * One byte of a never-finished header every 300 ms, so the connection is never idle: the deadline, not
     * the idle timeout, has to end it, and it counts from the connection's start. Writes and reads share
     * one thread (a TLS socket serialises them); each read waits at most the pace for the server's close.
     */
    private void assertClosedAtTheDeadline(Socket socket, long connected) throws Exception {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        byte[] head = "GET /keys HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        socket.setSoTimeout(300);
        int sent = 0;
        long lastWrite = connected;
        boolean closed = false;
        while (!closed && System.nanoTime() - connected < TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS * 5)) {
            try {
                out.write(sent < head.length ? head[sent] : 'z');
                out.flush();
                lastWrite = System.nanoTime();
                sent++;
                assertEquals(-1, in.read(), "no response to an unfinished head");
                closed = true;
            } catch (SocketTimeoutException stillOpen) {
                // the next byte is due
            } catch (IOException reset) {
                closed = true;
            }
        }
        assertTrue(closed, "the connection was still open after " + DEADLINE_MS * 5 + " ms");
        assertClosedBetween(connected, DEADLINE_MS, DEADLINE_MS + SLACK_MS);
        // Never idle: the last byte went out within one pace (plus slack) of the close, whatever the
        // handshake took on a busy machine.
        long quietMs = Duration.ofNanos(System.nanoTime() - lastWrite).toMillis();
        assertTrue(sent >= 1 && quietMs < 800, "the client kept sending until the close: " + sent + " bytes, last "
                + quietMs + " ms before it");
    }

    /**
     * Requests every half deadline on one connection for three deadlines: each arrives in time, counted
     * from the previous response. Then the idle connection is closed a deadline after the last response.
     */
    private void assertKeepAliveWorks(Socket socket) throws Exception {
        long start = System.nanoTime();
        long lastResponse = start;
        int answered = 0;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS * 3)) {
            if (answered > 0) {
                Thread.sleep(DEADLINE_MS / 2); // the client's own pace between requests, not a wait for the server
            }
            RawHttp.Response response = RawHttp.exchange(socket, "GET /keys HTTP/1.1\r\nHost: localhost\r\n\r\n", false);
            lastResponse = System.nanoTime();
            assertEquals(200, response.status(), response.head());
            answered++;
        }
        assertTrue(answered >= 5, "answered " + answered);
        assertEquals(-1, readToClose(socket.getInputStream()), "an idle keep-alive connection ends at the deadline");
        assertClosedBetween(lastResponse, DEADLINE_MS, DEADLINE_MS + SLACK_MS);
    }

    /** -1 once the server closed the connection (a reset counts as closed too). */
    private static int readToClose(InputStream in) throws IOException {
        try {
            int b;
            while ((b = in.read()) >= 0) {
                if (b == 'H') {
                    return b; // the start of a response: the server answered after all
                }
            }
            return -1;
        } catch (SocketTimeoutException stillOpen) {
            throw stillOpen;
        } catch (IOException reset) {
            return -1;
        }
    }

    private static void assertClosedBetween(long since, long minMs, long maxMs) {
        long elapsed = Duration.ofNanos(System.nanoTime() - since).toMillis();
        assertTrue(elapsed >= minMs - 100 && elapsed <= maxMs, "closed after " + elapsed + " ms, expected "
                + minMs + ".." + maxMs);
    }
}
