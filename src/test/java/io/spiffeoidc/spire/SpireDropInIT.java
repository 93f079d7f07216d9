package io.spiffeoidc.spire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestKeys;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged service as the Zero Trust Workload Identity Manager runs SPIRE's provider: its arguments, the
 * JSON file it writes (trust domain example.org, free ports), the certificate at /etc/oidc/tls, the agent's
 * socket at /spiffe-workload-api, a read-only root file system with /run/spire/oidc-sockets the only
 * writable directory, an arbitrary UID with GID 0 and no writable home. The pod is a private mount
 * namespace: an overlay of / remounted read-only, the operator's mounts bound into it, then chroot and
 * setpriv. Needs root (CI runs as root); skipped with the reason otherwise.
 */
class SpireDropInIT {

    private static final String TRUST_DOMAIN = "spiffe://example.org";
    private static final String NAMESPACE = "zero-trust-workload-identity-manager";
    private static final List<String> DOMAINS = List.of("spire-spiffe-oidc-discovery-provider",
            "spire-spiffe-oidc-discovery-provider." + NAMESPACE,
            "spire-spiffe-oidc-discovery-provider." + NAMESPACE + ".svc.cluster.local",
            "oidc-discovery.apps.example.com");
    /** The Deployment's arguments, unchanged. */
    private static final List<String> OPERATOR_ARGS = List.of("-config", "/run/spire/oidc/config/oidc-discovery-provider.conf");
    private static final String UID = "1000680000";

    /** The pod: runs its last arguments inside it. Everything the service may write is $W/sockets. */
    private static final String POD = """
            set -euo pipefail
            W="$1"; PROJECT="$2"; shift 2
            R="$W/root"
            mkdir -p "$R" "$W/upper" "$W/overlay-work"
            mount -t overlay overlay -o "lowerdir=/,upperdir=$W/upper,workdir=$W/overlay-work" "$R"
            mkdir -p "$R/etc/oidc/tls" "$R/spiffe-workload-api" "$R/run/spire/oidc/config" "$R/run/spire/oidc-sockets" \\
                "$R/opt/provider"
            touch "$R/run/spire/oidc/config/oidc-discovery-provider.conf"
            for d in proc sys dev; do mount --rbind "/$d" "$R/$d"; done
            mount -o remount,bind,ro "$R/dev/shm"
            ro_bind() { mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"; }
            ro_bind "$W/tls" "$R/etc/oidc/tls"
            ro_bind "$W/agent" "$R/spiffe-workload-api"
            ro_bind "$W/oidc-discovery-provider.conf" "$R/run/spire/oidc/config/oidc-discovery-provider.conf"
            ro_bind "$PROJECT" "$R/opt/provider"
            mount --bind "$W/sockets" "$R/run/spire/oidc-sockets"
            (cd "$W/upper" && find . | LC_ALL=C sort) > "$W/upper-before.txt"
            mount -o remount,ro "$R"
            exec chroot "$R" setpriv --reuid %s --regid 0 --clear-groups --no-new-privs -- \\
                env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/ QUARKUS_MANAGEMENT_PORT="$MANAGEMENT_PORT" "$@"
            """.formatted(UID);

    private final Path work = Path.of("target/spire-drop-in").toAbsolutePath();
    private final TestPki pki = TestPki.newCa();
    private FakeWorkloadApi agent;
    private Process service;

    @BeforeEach
    void podMustBePossible() throws Exception {
        Assumptions.assumeTrue(output("id", "-u").strip().equals("0"), "needs root for a private mount namespace");
        for (String tool : List.of("unshare", "setpriv", "chroot")) {
            Assumptions.assumeTrue(exitCode("sh", "-c", "command -v " + tool) == 0, tool + " is not installed");
        }
        Assumptions.assumeTrue(exitCode("unshare", "-m", "--propagation", "private", "true") == 0,
                "unshare -m is not permitted here");
        Assumptions.assumeTrue(Files.readString(Path.of("/proc/filesystems")).contains("overlay"), "no overlay file system");
        deleteTree(work);
        for (String dir : List.of("tls", "agent", "sockets")) {
            Files.createDirectories(work.resolve(dir));
        }
        // The emptyDir is world-writable, as Kubernetes creates it.
        Files.setPosixFilePermissions(work.resolve("sockets"), PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (service != null && service.isAlive()) {
            service.destroyForcibly();
            service.waitFor(10, TimeUnit.SECONDS);
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void servesAsTheOperatorsOperand() throws Exception {
        int https = PackagedService.freePort();
        int healthz = PackagedService.freePort();
        pki.issue("spire-spiffe-oidc-discovery-provider").writeTo(work.resolve("tls/tls.crt"), work.resolve("tls/tls.key"));
        // A secret volume's default mode: readable by the pod's arbitrary UID.
        for (String file : List.of("tls/tls.crt", "tls/tls.key")) {
            Files.setPosixFilePermissions(work.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.writeString(work.resolve("oidc-discovery-provider.conf"), operatorJson(https, healthz));

        long spawned = System.nanoTime();
        service = startPod();

        // Probes get an answer within their 1 s timeout from early on: not ready while the agent is away, alive.
        Await.until("the health listener to answer", Duration.ofSeconds(60), () -> get(healthz, "/ready") != -1);
        long firstAnswerMs = (System.nanoTime() - spawned) / 1_000_000;
        assertEquals(503, get(healthz, "/ready"));
        assertEquals(200, get(healthz, "/live"));

        JWK first = TestKeys.ec("first");
        agent = new FakeWorkloadApi(work.resolve("agent/spire-agent.sock"));
        agent.setBundle(TRUST_DOMAIN, TestKeys.jwks(first));
        agent.start();
        // The agent's socket accepts any local process, as SPIRE's does.
        Files.setPosixFilePermissions(work.resolve("agent/spire-agent.sock"), PosixFilePermissions.fromString("rwxrwxrwx"));
        long agentUp = System.nanoTime();
        Await.until("/ready 200 within 10 s of the agent answering", Duration.ofSeconds(10), () -> get(healthz, "/ready") == 200);
        long readyMs = (System.nanoTime() - agentUp) / 1_000_000;
        assertEquals(200, get(healthz, "/live"));

        for (String domain : DOMAINS) {
            RawHttp.Response discovery = https(https, domain, "/.well-known/openid-configuration");
            assertEquals(200, discovery.status(), domain + ": " + discovery);
            Map<String, Object> document = JSONObjectUtils.parse(discovery.body());
            assertEquals("https://" + domain, document.get("issuer"), "issuer derived from Host " + domain);
            assertEquals("https://" + domain + "/keys", document.get("jwks_uri"));
            RawHttp.Response keys = https(https, domain, "/keys");
            assertEquals(200, keys.status(), domain + ": " + keys);
            assertTrue(keys.body().contains("\"kid\":\"first\""), keys.body());
            assertFalse(keys.body().contains("\"use\""), "set_key_use is not in the operator's file");
        }

        JWK next = TestKeys.ec("next");
        agent.setBundle(TRUST_DOMAIN, TestKeys.jwks(first, next));
        Await.until("the rotated key served", Duration.ofSeconds(10),
                () -> https(https, DOMAINS.get(3), "/keys").body().contains("\"kid\":\"next\""));

        RawHttp.Response stranger = https(https, "attacker.example.net", "/.well-known/openid-configuration");
        assertEquals(400, stranger.status());
        assertEquals("{\"error\":\"host not allowed\"}", stranger.body());

        service.destroy();
        assertTrue(service.waitFor(30, TimeUnit.SECONDS), "the service stops on SIGTERM");

        List<String> upperBefore = Files.readAllLines(work.resolve("upper-before.txt"));
        List<String> upperAfter = tree(work.resolve("upper"));
        assertEquals(upperBefore, upperAfter, "nothing written to the root file system");
        List<String> written = tree(work.resolve("sockets"));
        String log = Files.readString(work.resolve("service.log"));
        assertFalse(log.contains("Read-only file system"), log);
        assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
        assertTrue(log.contains("HTTPS uses the native TLS engine"), "BoringSSL loads without /tmp:\n" + log);
        System.out.printf("drop-in: health answered %d ms after spawn, ready %d ms after the agent, writable dir %s%n",
                firstAnswerMs, readyMs, written);
    }

    /** The operator's file (its keys, sorted, as it writes them), with free ports instead of 8008 and 8443. */
    private static String operatorJson(int https, int healthz) {
        return """
                {
                  "domains": [
                    "%s",
                    "%s",
                    "%s",
                    "%s"
                  ],
                  "health_checks": {
                    "bind_port": "%d",
                    "live_path": "/live",
                    "ready_path": "/ready"
                  },
                  "log_format": "text",
                  "log_level": "info",
                  "serving_cert_file": {
                    "addr": ":%d",
                    "cert_file_path": "/etc/oidc/tls/tls.crt",
                    "key_file_path": "/etc/oidc/tls/tls.key"
                  },
                  "workload_api": {
                    "socket_path": "/spiffe-workload-api/spire-agent.sock",
                    "trust_domain": "example.org"
                  }
                }
                """.formatted(DOMAINS.get(0), DOMAINS.get(1), DOMAINS.get(2), DOMAINS.get(3), healthz, https);
    }

    private Process startPod() throws IOException {
        List<String> command = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "bash", "-c", POD, "pod",
                work.toString(), Path.of("").toAbsolutePath().toString()));
        command.addAll(PackagedService.command(Path.of("/opt/provider"), OPERATOR_ARGS));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("service.log").toFile());
        // Not the operator's: the management interface (metrics) gets a free port instead of 9000.
        builder.environment().put("MANAGEMENT_PORT", Integer.toString(PackagedService.freePort()));
        return builder.start();
    }

    /** Status of a plain-HTTP GET with the probes' 1 s timeout; -1 when nothing answered in time. */
    private static int get(int port, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            socket.setSoTimeout(1000);
            return RawHttp.exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: 10.128.0.15:" + port
                    + "\r\nUser-Agent: kube-probe/1.31\r\nConnection: close\r\n\r\n", true).status();
        } catch (IOException e) {
            return -1;
        }
    }

    /** GET over HTTPS to 127.0.0.1 with {@code host} as Host and SNI, trusting only the test CA. */
    private RawHttp.Response https(int port, String host, String path) {
        try (SSLSocket socket = (SSLSocket) pki.clientContext().getSocketFactory().createSocket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            return RawHttp.exchange(socket, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n", true);
        } catch (IOException e) {
            throw new AssertionError("HTTPS to " + host + " failed", e);
        }
    }

    private static List<String> tree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.map(p -> root.relativize(p).toString()).map(p -> p.isEmpty() ? "." : "./" + p).sorted().toList();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path path : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(10, TimeUnit.SECONDS);
        return text;
    }

    private static int exitCode(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }
}
