package io.spiffeoidc.spire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.FreePorts;
import io.spiffeoidc.testsupport.OperatorOperand;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
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

    private static final String TRUST_DOMAIN = OperatorOperand.TRUST_DOMAIN;
    private static final List<String> DOMAINS = OperatorOperand.DOMAINS;
    private static final List<String> OPERATOR_ARGS = OperatorOperand.ARGS;
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
        int https = FreePorts.loopback();
        int healthz = FreePorts.loopback();
        pki.issue("spire-spiffe-oidc-discovery-provider").writeTo(work.resolve("tls/tls.crt"), work.resolve("tls/tls.key"));
        // A secret volume's default mode: readable by the pod's arbitrary UID.
        for (String file : List.of("tls/tls.crt", "tls/tls.key")) {
            Files.setPosixFilePermissions(work.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.writeString(work.resolve("oidc-discovery-provider.conf"), OperatorOperand.configJson(healthz, https));

        long spawned = System.nanoTime();
        service = startPod();

        // Probes get an answer within their 1 s timeout from early on: not ready while the agent is away, alive.
        Await.until("the health listener to answer", Duration.ofSeconds(60), () -> get(healthz, "/ready") != -1);
        long firstAnswerMs = (System.nanoTime() - spawned) / 1_000_000;
        assertEquals(503, get(healthz, "/ready"));
        assertEquals(200, get(healthz, "/live"));

        JWK first = TestBundles.ec("first");
        agent = new FakeWorkloadApi(work.resolve("agent/spire-agent.sock"));
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(first));
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

        JWK next = TestBundles.ec("next");
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(first, next));
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

    private Process startPod() throws IOException {
        List<String> command = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "bash", "-c", POD, "pod",
                work.toString(), Path.of("").toAbsolutePath().toString()));
        command.addAll(PackagedService.command(Path.of("/opt/provider"), OPERATOR_ARGS));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("service.log").toFile());
        // Not the operator's: the management interface (metrics) gets a free port instead of 9000.
        builder.environment().put("MANAGEMENT_PORT", Integer.toString(FreePorts.loopback()));
        return builder.start();
    }

    private static int get(int port, String path) {
        return OperatorOperand.probe(port, path);
    }

    private RawHttp.Response https(int port, String host, String path) {
        return OperatorOperand.https(pki.clientContext(), port, host, path);
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
