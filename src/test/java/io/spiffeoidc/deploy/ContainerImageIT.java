package io.spiffeoidc.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.FreePorts;
import io.spiffeoidc.testsupport.OperatorOperand;
import io.spiffeoidc.testsupport.RawHttp;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The container image built from Dockerfile.jvm, run by podman as users run it: as the Zero Trust Workload
 * Identity Manager runs its operand, as deploy/openshift/ runs it, and started wrong. Every run has a
 * read-only root file system, an arbitrary UID in group 0, no capabilities and no privilege escalation, a
 * network namespace of its own with its ports published on loopback, and the fake agent's socket
 * bind-mounted from the host as the SPIFFE CSI driver mounts it.
 *
 * <p>Runs when {@code -Dcontainer.image} names the image (src/test/container/run.sh builds it and passes
 * it; .ci/run calls that script); the plain {@code ./mvnw verify} reports it skipped.
 */
@EnabledIfSystemProperty(named = Podman.IMAGE_PROPERTY, matches = ".+", disabledReason = "no -Dcontainer.image: "
        + "src/test/container/run.sh builds the image and runs this test")
class ContainerImageIT {

    /** An OpenShift restricted-v2 UID: outside the image's /etc/passwd, in group 0. */
    static final String USER = "1000680000:0";
    static final List<String> HARDENED = List.of("--read-only", "--user", USER, "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges");

    // ---- as the operator runs its operand ---------------------------------------------------------

    private final TestPki pki = TestPki.newCa();
    private final List<String> containers = new ArrayList<>();
    private Path work;
    private FakeWorkloadApi agent;

    @BeforeEach
    void workDirectory(org.junit.jupiter.api.TestInfo test) throws IOException {
        work = Path.of("target/container-image", test.getTestMethod().orElseThrow().getName()).toAbsolutePath();
        deleteTree(work);
        for (String dir : List.of("tls", "agent")) {
            Files.createDirectories(work.resolve(dir));
        }
        // The pod's arbitrary UID reads the mounts through "other" permissions, as a secret volume allows.
        for (Path dir = work; dir != null && !dir.equals(dir.getRoot()); dir = dir.getParent()) {
            if (dir.startsWith(Path.of("").toAbsolutePath())) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        for (String dir : List.of("tls", "agent")) {
            Files.setPosixFilePermissions(work.resolve(dir), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @AfterEach
    void stop() {
        containers.forEach(Podman::remove);
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void servesAsTheOperatorsOperand() throws Exception {
        writePair(work.resolve("tls"), pki.issue(OperatorOperand.DOMAINS.get(0)));
        Path config = work.resolve("oidc-discovery-provider.conf");
        Files.writeString(config, OperatorOperand.configJson(OperatorOperand.HEALTH_PORT, OperatorOperand.HTTPS_PORT));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        int https = FreePorts.loopback();
        int health = FreePorts.loopback();

        List<String> run = new ArrayList<>(List.of("run", "--detach", "--name", name("operator")));
        run.addAll(HARDENED);
        run.addAll(List.of(
                "--volume", work.resolve("tls") + ":/etc/oidc/tls:ro",
                "--volume", work.resolve("agent") + ":/spiffe-workload-api:ro",
                "--volume", config + ":" + OperatorOperand.ARGS.get(1) + ":ro",
                "--tmpfs", "/run/spire/oidc-sockets:rw,mode=1777",
                "--publish", "127.0.0.1:" + https + ":" + OperatorOperand.HTTPS_PORT,
                "--publish", "127.0.0.1:" + health + ":" + OperatorOperand.HEALTH_PORT,
                Podman.image()));
        run.addAll(OperatorOperand.ARGS);
        String container = start(run);

        // The agent is away: the probes get an answer, not ready, alive.
        Await.until("the health listener to answer", Duration.ofSeconds(60), () -> status(health, "/ready") != -1,
                () -> Podman.logs(container));
        assertEquals(503, status(health, "/ready"));
        assertEquals(200, status(health, "/live"));

        JWK first = TestBundles.ec("first");
        startAgent(OperatorOperand.TRUST_DOMAIN, first);
        long agentUp = System.nanoTime();
        Await.until("/ready 200 within 10 s of the agent answering", Duration.ofSeconds(10),
                () -> status(health, "/ready") == 200, () -> Podman.logs(container));
        long readyMs = (System.nanoTime() - agentUp) / 1_000_000;
        assertEquals(200, status(health, "/live"));

        for (String domain : OperatorOperand.DOMAINS) {
            Map<String, Object> discovery = discovery(https, domain);
            assertEquals("https://" + domain, discovery.get("issuer"), "issuer derived from Host " + domain);
            assertEquals("https://" + domain + "/keys", discovery.get("jwks_uri"));
            String keys = keys(https, domain);
            assertTrue(keys.contains("\"kid\":\"first\""), keys);
            assertFalse(keys.contains("\"use\""), "set_key_use is not in the operator's file");
        }
        assertRotationServed(https, OperatorOperand.DOMAINS.get(3), OperatorOperand.TRUST_DOMAIN, first);
        RawHttp.Response stranger = https(https, "attacker.example.net", "/.well-known/openid-configuration");
        assertEquals(400, stranger.status());
        assertEquals("{\"error\":\"host not allowed\"}", stranger.body());

        assertAotCacheMapped(container);
        assertStopsCleanly(container);
        System.out.printf("container as the operator's operand: ready %d ms after the agent answered%n", readyMs);
    }

    @Test
    void servesAsTheOpenShiftDeployment() throws Exception {
        OpenShiftManifestsTest.load();
        var manifest = OpenShiftManifestsTest.container;
        Map<String, String> env = OpenShiftManifestsTest.effectiveEnv("spiffe-oidc");
        String trustDomain = "spiffe://" + env.get("SPIFFE_OIDC_TRUST_DOMAIN");
        List<String> domains = List.of(env.get("SPIFFE_OIDC_DOMAINS").split(","));
        String issuer = env.get("SPIFFE_OIDC_ISSUER");
        assertNotNull(issuer, "the ConfigMap sets the issuer");

        List<String> run = new ArrayList<>(List.of("run", "--detach", "--name", name("deployment")));
        run.addAll(securityOptions(manifest.getSecurityContext()));
        run.addAll(resourceLimits(manifest.getResources().getLimits()));
        env.forEach((key, value) -> run.addAll(List.of("--env", key + "=" + value)));
        writePair(work.resolve("tls"), pki.issue(domains.get(0)));
        for (VolumeMount mount : manifest.getVolumeMounts()) {
            run.addAll(List.of("--volume", hostDirectoryFor(volume(mount.getName())) + ":" + mount.getMountPath()
                    + (Boolean.TRUE.equals(mount.getReadOnly()) ? ":ro" : "")));
        }
        Map<String, Integer> published = new LinkedHashMap<>();
        for (ContainerPort port : manifest.getPorts()) {
            int host = FreePorts.loopback();
            published.put(port.getName(), host);
            run.addAll(List.of("--publish", "127.0.0.1:" + host + ":" + port.getContainerPort()));
        }
        run.add(Podman.image());
        if (manifest.getArgs() != null) {
            run.addAll(manifest.getArgs());
        }
        String container = start(run);

        int startupPort = probePort(manifest.getStartupProbe(), published);
        Duration startupBudget = Duration.ofSeconds((long) manifest.getStartupProbe().getPeriodSeconds()
                * manifest.getStartupProbe().getFailureThreshold());
        Await.until("the startup probe to pass within its budget", startupBudget,
                () -> status(startupPort, probePath(manifest.getStartupProbe())) == 200, () -> Podman.logs(container));
        int readyPort = probePort(manifest.getReadinessProbe(), published);
        int livePort = probePort(manifest.getLivenessProbe(), published);
        assertEquals(503, status(readyPort, probePath(manifest.getReadinessProbe())), "not ready without the agent");
        assertEquals(200, status(livePort, probePath(manifest.getLivenessProbe())));

        JWK first = TestBundles.ec("first");
        startAgent(trustDomain, first);
        long agentUp = System.nanoTime();
        Await.until("the readiness probe to pass within 10 s of the agent answering", Duration.ofSeconds(10),
                () -> status(readyPort, probePath(manifest.getReadinessProbe())) == 200, () -> Podman.logs(container));
        long readyMs = (System.nanoTime() - agentUp) / 1_000_000;
        assertEquals(200, status(livePort, probePath(manifest.getLivenessProbe())));

        int https = published.get("https");
        for (String domain : domains) {
            Map<String, Object> discovery = discovery(https, domain);
            assertEquals(issuer, discovery.get("issuer"), "the configured issuer, whatever the Host: " + domain);
            // No jwks_uri is configured: each client is sent to the keys on the host it asked.
            assertEquals("https://" + domain + "/keys", discovery.get("jwks_uri"));
            assertTrue(keys(https, domain).contains("\"kid\":\"first\""));
        }
        assertRotationServed(https, domains.get(0), trustDomain, first);

        assertAotCacheMapped(container);
        assertStopsCleanly(container);
        System.out.printf("container as deploy/openshift runs it: ready %d ms after the agent answered%n", readyMs);
    }

    @Test
    void refusesToStartWithoutACertificate() throws Exception {
        Podman.Result outcome = startBadly(null);
        assertEquals(1, outcome.exitCode(), outcome.lines().toString());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        String line = outcome.lines().get(0);
        assertTrue(line.startsWith("Invalid configuration: quarkus.tls.public.key-store.pem.0.cert: certificate file"
                + " /var/run/tls/tls.crt does not exist"), line);
    }

    @Test
    void refusesToStartWithAMismatchedPair() throws Exception {
        Path tls = work.resolve("tls");
        writePair(tls, pki.issue("good"));
        Path other = work.resolve("other");
        Files.createDirectories(other);
        writePair(other, pki.issue("other"));
        Files.copy(other.resolve("tls.key"), tls.resolve("tls.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Podman.Result outcome = startBadly(tls);
        assertEquals(1, outcome.exitCode(), outcome.lines().toString());
        assertEquals(1, outcome.lines().size(), outcome.lines().toString());
        String line = outcome.lines().get(0);
        assertTrue(line.startsWith("Invalid configuration: quarkus.tls.public.key-store.pem.0.cert: /var/run/tls/tls.crt"
                + " with key /var/run/tls/tls.key cannot be served: the private key does not belong to certificate CN=good"),
                line);
    }

    // ---- the runs -----------------------------------------------------------------------------------

    private String name(String what) {
        String name = "spiffe-oidc-it-" + what + "-" + ProcessHandle.current().pid();
        Podman.remove(name);
        containers.add(name);
        return name;
    }

    private static String start(List<String> run) {
        Podman.Result started = Podman.call(Duration.ofSeconds(120), run);
        return started.orFail("podman run");
    }

    /** The Deployment's settings with the given certificate directory (none: nothing mounted), run to its exit. */
    private Podman.Result startBadly(Path tls) throws Exception {
        OpenShiftManifestsTest.load();
        var manifest = OpenShiftManifestsTest.container;
        List<String> run = new ArrayList<>(List.of("run", "--name", name("bad-start")));
        run.addAll(securityOptions(manifest.getSecurityContext()));
        OpenShiftManifestsTest.effectiveEnv("spiffe-oidc").forEach((k, v) -> run.addAll(List.of("--env", k + "=" + v)));
        run.addAll(List.of("--volume", work.resolve("agent") + ":/spiffe-workload-api:ro"));
        if (tls != null) {
            run.addAll(List.of("--volume", tls + ":" + OpenShiftManifestsTest.mount("tls").getMountPath() + ":ro"));
        }
        run.add(Podman.image());
        return Podman.call(Duration.ofSeconds(120), run);
    }

    /** The container's securityContext as podman options; no runAsUser, so the SCC's arbitrary UID. */
    private static List<String> securityOptions(SecurityContext context) {
        List<String> options = new ArrayList<>();
        assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem(), "the manifest asks for a read-only root");
        options.add("--read-only");
        assertEquals(null, context.getRunAsUser(), "the SCC assigns the UID");
        options.addAll(List.of("--user", USER));
        assertEquals(List.of("ALL"), context.getCapabilities().getDrop());
        options.addAll(List.of("--cap-drop", "ALL"));
        assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation());
        options.addAll(List.of("--security-opt", "no-new-privileges"));
        return options;
    }

    /** The container's limits, where this machine's cgroups let podman apply them. */
    private static List<String> resourceLimits(Map<String, Quantity> limits) {
        List<String> options = new ArrayList<>();
        Quantity memory = limits.get("memory");
        if (memory != null && Podman.cgroupControllers().contains("memory")) {
            options.addAll(List.of("--memory", Quantity.getAmountInBytes(memory).toBigInteger().toString()));
        }
        Quantity cpu = limits.get("cpu");
        if (cpu != null && Podman.cgroupControllers().contains("cpu")) {
            options.addAll(List.of("--cpus", Quantity.getAmountInBytes(cpu).toPlainString()));
        }
        return options;
    }

    private static Volume volume(String name) {
        return OpenShiftManifestsTest.volumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    /** What stands in for a volume on this host: the fake agent's socket directory, the certificate pair. */
    private Path hostDirectoryFor(Volume volume) {
        if (volume.getCsi() != null) {
            assertEquals("csi.spiffe.io", volume.getCsi().getDriver());
            return work.resolve("agent");
        }
        if (volume.getSecret() != null) {
            return work.resolve("tls");
        }
        throw new AssertionError("no stand-in for volume " + volume.getName());
    }

    private static String probePath(Probe probe) {
        return probe.getHttpGet().getPath();
    }

    private static int probePort(Probe probe, Map<String, Integer> published) {
        assertEquals("HTTP", probe.getHttpGet().getScheme());
        Integer port = published.get(probe.getHttpGet().getPort().getStrVal());
        assertNotNull(port, "the probe's port is one of the container's ports: " + probe.getHttpGet().getPort());
        return port;
    }

    private void startAgent(String trustDomain, JWK key) throws IOException {
        agent = new FakeWorkloadApi(work.resolve("agent/spire-agent.sock"));
        agent.setBundle(trustDomain, TestBundles.jwks(key));
        agent.start();
        // The agent's socket accepts any local process, as SPIRE's does.
        Files.setPosixFilePermissions(work.resolve("agent/spire-agent.sock"), PosixFilePermissions.fromString("rwxrwxrwx"));
    }

    private void assertRotationServed(int https, String domain, String trustDomain, JWK first) {
        agent.setBundle(trustDomain, TestBundles.jwks(first, TestBundles.ec("next")));
        Await.until("the rotated key served", Duration.ofSeconds(10), () -> keys(https, domain).contains("\"kid\":\"next\""));
    }

    /**
     * The JVM maps the cache file the image's build wrote: its path is in the process's memory map. Read
     * from the host, so the run needs no setting the operator or the Deployment does not make.
     */
    private static void assertAotCacheMapped(String container) throws IOException {
        long pid = Podman.pid(container);
        assertTrue(pid > 0, container + " is not running");
        String maps = Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
        assertTrue(maps.contains("/deployments/app.aot"), "the AOT cache is not mapped by the container's JVM");
    }

    /** SIGTERM stops it; nothing was written outside the tmpfs; its log has no stack trace. */
    private static void assertStopsCleanly(String container) {
        Podman.call(Duration.ofSeconds(60), List.of("stop", "--time", "30", container)).orFail("podman stop");
        assertFalse(Podman.running(container));
        // podman itself adds to the container's layer: the mount points of the volumes (and their parents) and
        // of the files it bind-mounts into /etc (a container with the same options that runs `true` shows them).
        List<String> mountPoints = new ArrayList<>(List.of("/etc/passwd", "/etc/group", "/etc/hosts", "/etc/hostname",
                "/etc/resolv.conf"));
        mountPoints.addAll(List.of(Podman.call("inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}",
                container).orFail("podman inspect").split(" ")));
        List<String> written = Podman.call("diff", container).orFail("podman diff").lines().filter(change -> {
            String path = change.substring(2);
            return !mountPoints.stream().anyMatch(m -> m.equals(path) || m.startsWith(path + "/"));
        }).toList();
        assertEquals(List.of(), written, "the container wrote to its image's file system");
        String log = Podman.logs(container);
        assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
        assertFalse(log.contains("Read-only file system"), log);
        assertTrue(log.contains("HTTPS uses the native TLS engine"), "BoringSSL loads without /tmp:\n" + log);
    }

    // ---- HTTP ---------------------------------------------------------------------------------------

    private Map<String, Object> discovery(int port, String host) throws Exception {
        RawHttp.Response response = https(port, host, "/.well-known/openid-configuration");
        assertEquals(200, response.status(), host + ": " + response);
        return JSONObjectUtils.parse(response.body());
    }

    private String keys(int port, String host) {
        RawHttp.Response response = https(port, host, "/keys");
        assertEquals(200, response.status(), host + ": " + response);
        return response.body();
    }

    private RawHttp.Response https(int port, String host, String path) {
        return OperatorOperand.https(pki.clientContext(), port, host, path);
    }

    private static int status(int port, String path) {
        return OperatorOperand.probe(port, path);
    }

    // ---- files --------------------------------------------------------------------------------------

    /** A certificate pair with a secret volume's default mode: readable by the pod's arbitrary UID. */
    private static void writePair(Path dir, TestPki.Leaf leaf) throws IOException {
        leaf.writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        for (String file : List.of("tls.crt", "tls.key")) {
            Files.setPosixFilePermissions(dir.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
    }
}
