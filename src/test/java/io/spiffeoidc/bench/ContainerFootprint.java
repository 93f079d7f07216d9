package io.spiffeoidc.bench;

import io.spiffeoidc.deploy.Podman;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.FreePorts;
import io.spiffeoidc.testsupport.OperatorOperand;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * The image measured in its container, beside the same jar started by bin/start on the host in the same run
 * (bench/container.sh runs it; docs/container-images.md and bench/RESULTS.md carry its table):
 * <ul>
 * <li>the image's size and its layers;</li>
 * <li>time from {@code podman run} (or the launcher's spawn) to /ready 200 on the management interface and
 * to the first HTTPS 200 on /keys, with and without the AOT cache, the agent already answering; starts
 * interleaved, the median reported;</li>
 * <li>resident memory of the JVM after 10,000 HTTPS requests on /keys, without a memory limit and with 256
 * and 512 MiB.</li>
 * </ul>
 * The server runs on CPU 0 (--cpuset-cpus or taskset), the load (wrk) on CPU 1.
 *
 * <pre>java -cp test-classpath io.spiffeoidc.bench.ContainerFootprint &lt;image&gt; &lt;out-dir&gt; [starts]</pre>
 */
public final class ContainerFootprint {

    static final String TRUST_DOMAIN = "spiffe://example.org";
    static final int REQUESTS = 10_000;
    static final String USER = "1000680000:0";

    record Variant(String name, boolean container, boolean aot, String memory) {
    }

    record Sample(long readyMs, long keysMs, long rssKiB) {
    }

    private final String image;
    private final Path out;
    private final TestPki pki = TestPki.newCa();
    private final SSLContext client;

    ContainerFootprint(String image, Path out) {
        this.image = image;
        this.out = out;
        this.client = pki.clientContext();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ContainerFootprint <image> <out-dir> [starts per variant, default 5]");
            System.exit(2);
        }
        int starts = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        new ContainerFootprint(args[0], Path.of(args[1]).toAbsolutePath()).run(starts);
    }

    void run(int starts) throws Exception {
        Files.createDirectories(out.resolve("tls"));
        Files.createDirectories(out.resolve("agent"));
        for (String dir : List.of("", "tls", "agent")) {
            Files.setPosixFilePermissions(out.resolve(dir), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        pki.issue("localhost").writeTo(out.resolve("tls/tls.crt"), out.resolve("tls/tls.key"));
        for (String file : List.of("tls/tls.crt", "tls/tls.key")) {
            Files.setPosixFilePermissions(out.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
        }
        Files.writeString(out.resolve("keys.lua"), """
                local answered = 0
                response = function(status, headers, body)
                  answered = answered + 1
                  if answered >= %d then wrk.thread:stop() end
                end
                """.formatted(REQUESTS));

        List<Variant> variants = List.of(
                new Variant("image, AOT cache", true, true, null),
                new Variant("image, no AOT cache", true, false, null),
                new Variant("jar on the host (bin/start), AOT cache", false, true, null),
                new Variant("image, AOT cache, --memory 512m", true, true, "512m"),
                new Variant("image, AOT cache, --memory 256m", true, true, "256m"));
        Map<Variant, List<Sample>> samples = new LinkedHashMap<>();
        variants.forEach(v -> samples.put(v, new ArrayList<>()));
        try (FakeWorkloadApi agent = new FakeWorkloadApi(out.resolve("agent/spire-agent.sock"))) {
            agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("bench-key")));
            agent.start();
            Files.setPosixFilePermissions(out.resolve("agent/spire-agent.sock"), PosixFilePermissions.fromString("rwxrwxrwx"));
            // Interleaved: round r starts every variant once, so a slow moment of the machine hits them all.
            for (int round = 0; round < starts; round++) {
                for (Variant variant : variants) {
                    samples.get(variant).add(measure(variant, round == 0));
                    System.out.printf("round %d %-45s %s%n", round + 1, variant.name(), samples.get(variant).get(round));
                }
            }
        }
        String report = report(samples);
        Files.writeString(out.resolve("RESULTS.md"), report);
        System.out.print(report);
    }

    /** One start to its first answers; the first round also takes the load and reads the resident memory. */
    private Sample measure(Variant variant, boolean load) throws Exception {
        int https = FreePorts.loopback();
        int management = FreePorts.loopback();
        String container = "spiffe-oidc-bench-" + ProcessHandle.current().pid();
        Process host = null;
        long spawned = System.nanoTime();
        if (variant.container()) {
            Podman.remove(container);
            List<String> run = new ArrayList<>(List.of("run", "--detach", "--name", container, "--read-only", "--user", USER,
                    "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--cpuset-cpus", "0",
                    "--volume", out.resolve("tls") + ":/var/run/tls:ro",
                    "--volume", out.resolve("agent") + ":/spiffe-workload-api:ro",
                    "--publish", "127.0.0.1:" + https + ":8443", "--publish", "127.0.0.1:" + management + ":9000"));
            if (variant.memory() != null) {
                run.addAll(List.of("--memory", variant.memory()));
            }
            environment(variant, "unix:///spiffe-workload-api/spire-agent.sock", null, null)
                    .forEach((k, v) -> run.addAll(List.of("--env", k + "=" + v)));
            run.add(image);
            Podman.call(Duration.ofSeconds(120), run).orFail("podman run");
        } else {
            ProcessBuilder builder = new ProcessBuilder("taskset", "-c", "0", Path.of("bin/start").toAbsolutePath().toString())
                    .redirectErrorStream(true).redirectOutput(out.resolve("host.log").toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("SPIFFE_") || name.startsWith("QUARKUS_"));
            builder.environment().putAll(environment(variant, "unix://" + out.resolve("agent/spire-agent.sock"), https, management));
            builder.environment().put("QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_CERT", out.resolve("tls/tls.crt").toString());
            builder.environment().put("QUARKUS_TLS_PUBLIC_KEY_STORE_PEM_0_KEY", out.resolve("tls/tls.key").toString());
            host = builder.start();
        }
        try {
            long readyMs = -1;
            long keysMs = -1;
            long deadline = spawned + TimeUnit.SECONDS.toNanos(120);
            while (readyMs < 0 || keysMs < 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(variant.name() + ": no answer within 120 s");
                }
                if (keysMs < 0 && keysStatus(https) == 200) {
                    keysMs = (System.nanoTime() - spawned) / 1_000_000;
                }
                if (readyMs < 0 && OperatorOperand.probe(management, "/q/health/ready") == 200) {
                    readyMs = (System.nanoTime() - spawned) / 1_000_000;
                }
                Thread.sleep(5);
            }
            long rss = -1;
            if (load) {
                Process wrk = new ProcessBuilder("taskset", "-c", "1", "wrk", "-t1", "-c4", "-d60s", "-s",
                        out.resolve("keys.lua").toString(), "https://localhost:" + https + "/keys")
                        .redirectErrorStream(true).redirectOutput(out.resolve("wrk.log").toFile()).start();
                if (!wrk.waitFor(90, TimeUnit.SECONDS) || wrk.exitValue() != 0) {
                    wrk.destroyForcibly();
                    throw new IllegalStateException("wrk failed: " + Files.readString(out.resolve("wrk.log")));
                }
                long pid = variant.container() ? Podman.pid(container) : host.pid();
                rss = residentKiB(pid);
            }
            return new Sample(readyMs, keysMs, rss);
        } finally {
            if (variant.container()) {
                Podman.remove(container);
            } else {
                host.destroy();
                if (!host.waitFor(30, TimeUnit.SECONDS)) {
                    host.destroyForcibly();
                }
            }
        }
    }

    private int keysStatus(int https) {
        try {
            return OperatorOperand.https(client, https, "localhost", "/keys").status();
        } catch (AssertionError notYet) {
            return -1;
        }
    }

    /** The Deployment's kind of settings, by environment; the host run gets its own ports and socket path. */
    private static Map<String, String> environment(Variant variant, String socket, Integer https, Integer management) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPIFFE_OIDC_SOURCE", "workload-api");
        env.put("SPIFFE_ENDPOINT_SOCKET", socket);
        env.put("SPIFFE_OIDC_TRUST_DOMAIN", "example.org");
        env.put("SPIFFE_OIDC_DOMAINS", "localhost");
        env.put("SPIFFE_OIDC_ISSUER", "https://localhost");
        if (https != null) {
            env.put("QUARKUS_HTTP_SSL_PORT", https.toString());
            env.put("QUARKUS_MANAGEMENT_PORT", management.toString());
        }
        if (!variant.aot()) {
            env.put("SPIFFE_OIDC_AOT", "off");
        } else {
            env.put("SPIFFE_OIDC_AOT", "require");
        }
        return env;
    }

    private static long residentKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    private String report(Map<Variant, List<Sample>> samples) {
        StringBuilder md = new StringBuilder();
        md.append("Image ").append(image).append(": ")
                .append(mib(Long.parseLong(Podman.call("image", "inspect", "--format", "{{.Size}}", image).orFail("inspect"))))
                .append(" MiB in all. Layers, newest first:\n\n| size | created by |\n|---:|---|\n");
        for (String line : Podman.call("history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", image).orFail("history").lines().toList()) {
            String[] parts = line.split("\t", 2);
            String createdBy = parts[1].replace("/bin/sh -c #(nop) ", "").replace("|", "\\|");
            md.append("| ").append(parts[0]).append(" | `").append(createdBy.length() > 110 ? createdBy.substring(0, 110) + "…" : createdBy)
                    .append("` |\n");
        }
        md.append("\nStarts: median of ").append(samples.values().iterator().next().size())
                .append(" interleaved starts each, server on CPU 0, the agent already answering. Resident memory: the JVM's")
                .append(" VmRSS right after ").append(REQUESTS).append(" HTTPS requests on /keys (wrk, 4 connections, CPU 1).\n\n")
                .append("| run | to /ready 200 ms | to first /keys 200 ms | RSS after load MiB |\n|---|---:|---:|---:|\n");
        samples.forEach((variant, list) -> md.append("| ").append(variant.name()).append(" | ")
                .append(median(list.stream().mapToLong(Sample::readyMs).toArray())).append(" | ")
                .append(median(list.stream().mapToLong(Sample::keysMs).toArray())).append(" | ")
                .append(String.format("%.0f", list.get(0).rssKiB() / 1024.0)).append(" |\n"));
        return md.toString();
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String mib(long bytes) {
        return String.format("%.0f", bytes / 1024.0 / 1024.0);
    }

}
