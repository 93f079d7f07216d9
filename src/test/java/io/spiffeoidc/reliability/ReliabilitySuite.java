package io.spiffeoidc.reliability;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The reliability and hostile-input suite: runs the packaged service as real processes, with the fake
 * SPIRE agent as a process, injects faults and hostile traffic, and prints one row per scenario. Started by
 * reliability/run.sh, which prepares the jar, the classpath and the certificates:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:... io.spiffeoidc.reliability.ReliabilitySuite \
 *     --mode short|long --out reliability/out --run-dir DIR --jar DIR/app/quarkus-run.jar --tls DIR \
 *     --unprivileged true|false --permission-skip REASON
 * </pre>
 *
 * The run directory holds what the services themselves read and write (the file source's directory, their
 * temporary directories, the agent socket); run.sh makes it readable by the unprivileged user, which the
 * checkout's own directory may not be.
 *
 * Order: every service starts at once (the static issuers' S3Proxy processes too); rotation under load runs alone;
 * then agent faults, file faults, TLS faults and the two-trust-domain rows run side by side (each against its own
 * service); then the static issuers' store outage and two-instance rows side by side (each on its own S3Proxy);
 * hostile HTTP runs alone; the 4,000 slow request heads run alone last, against a service of their own.
 */
public final class ReliabilitySuite {

    final Path out;
    final Path runDir;
    final boolean longMode;
    final boolean unprivileged;
    /**
     * "slow-request-heads", "two-trust-domains", "store-outage" or "two-instances" runs those rows alone (for working on
     * them); anything else runs them all.
     */
    final String only;
    /** Why the permission scenario cannot be meaningful here; empty when it can. */
    final String permissionSkip;
    final Processes processes;
    final Tls tls;
    final Path certA;
    final Path keyA;
    final Path certB;
    final Path keyB;
    final Versions fileVersions = new Versions("tls");

    private ReliabilitySuite(Map<String, String> options) {
        this.out = Path.of(options.getOrDefault("--out", "reliability/out")).toAbsolutePath();
        this.longMode = "long".equals(options.getOrDefault("--mode", "short"));
        this.runDir = Path.of(options.getOrDefault("--run-dir", out.toString())).toAbsolutePath();
        this.unprivileged = Boolean.parseBoolean(options.getOrDefault("--unprivileged", "false"));
        this.permissionSkip = options.getOrDefault("--permission-skip", "");
        this.only = options.getOrDefault("--only", "");
        Path tlsDir = Path.of(options.getOrDefault("--tls", out.resolve("tls").toString()));
        this.certA = tlsDir.resolve("a-cert.pem");
        this.keyA = tlsDir.resolve("a-key.pem");
        this.certB = tlsDir.resolve("b-cert.pem");
        this.keyB = tlsDir.resolve("b-key.pem");
        this.tls = new Tls(tlsDir.resolve("ca.pem"));
        this.processes = new Processes(out, runDir, Path.of(options.getOrDefault("--jar", "target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath());
    }

    /**
     * The one place that knows how the service takes its certificate. Builds with the service's own checked
     * reload (tls/CertificateReloader) read the named TLS configuration "public" and
     * spiffe-oidc.tls.reload-period; older builds read the default configuration and rely on Quarkus's own
     * quarkus.tls.reload-period.
     */
    List<String> tlsProperties(Path cert, Path key, boolean reload) {
        String config = checkedReload ? "quarkus.tls.public." : "quarkus.tls.";
        List<String> properties = new ArrayList<>(List.of("-D" + config + "key-store.pem.0.cert=" + cert,
                "-D" + config + "key-store.pem.0.key=" + key));
        if (reload) {
            properties.add(checkedReload ? "-Dspiffe-oidc.tls.reload-period=1s" : "-Dquarkus.tls.reload-period=1s");
        }
        return properties;
    }

    final boolean checkedReload = classPresent("io.spiffeoidc.tls.CertificateReloader");

    private static boolean classPresent(String name) {
        try {
            Class.forName(name, false, ReliabilitySuite.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        ReliabilitySuite suite = new ReliabilitySuite(options);
        int failed;
        try {
            failed = suite.run();
        } finally {
            suite.processes.stopAll();
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void log(String message) {
        System.err.println("[reliability] " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " " + message);
    }

    private int run() throws Exception {
        Instant started = Instant.now();
        List<Row> rows = new ArrayList<>();
        log("mode " + (longMode ? "long" : "short") + ", output " + out);

        // ---- every service starts at once --------------------------------------------------------------
        Path tlsSource = out.resolve("tls-source");
        Files.createDirectories(tlsSource);
        Files.writeString(tlsSource.resolve("bundle.json"), fileVersions.publish(fileVersions.build(0)).jwks());
        FederatedScenarios federated = new FederatedScenarios(this);
        if (only.equals("two-trust-domains")) {
            rows.addAll(federated.start());
            rows.addAll(federated.run());
            return report(started, rows, null);
        }
        StoreOutage storeOutage = new StoreOutage(this);
        TwoInstances twoInstances = new TwoInstances(this);
        if (only.equals(StoreOutage.ONLY)) {
            storeOutage.start();
            rows.addAll(storeOutage.run());
            return report(started, rows, null);
        }
        if (only.equals(TwoInstances.ONLY)) {
            twoInstances.start();
            rows.addAll(twoInstances.run());
            return report(started, rows, null);
        }
        SlowRequestHeads slowHeads = new SlowRequestHeads(this);
        slowHeads.start();
        if (only.equals("slow-request-heads")) {
            rows.add(slowHeads.run());
            return report(started, rows, null);
        }
        // S3Proxy starts in a few seconds: the other services start meanwhile.
        CompletableFuture<Void> storeOutageStarted = CompletableFuture.runAsync(storeOutage::start);
        CompletableFuture<Void> twoInstancesStarted = CompletableFuture.runAsync(twoInstances::start);
        AgentScenarios agent = new AgentScenarios(this);
        List<Row> agentNotStarted = agent.start();
        FileFaults fileFaults = new FileFaults(this);
        fileFaults.start();
        List<Row> federatedNotStarted = federated.start();
        Path liveCert = tlsSource.resolve("cert.pem");
        Path liveKey = tlsSource.resolve("key.pem");
        Files.copy(certA, liveCert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(keyA, liveKey, StandardCopyOption.REPLACE_EXISTING);
        ServiceProcess tlsService = processes.startService(new Processes.ServiceSpec("tls",
                Map.of("SPIFFE_OIDC_SOURCE", "file", "SPIFFE_OIDC_FILE_PATH", tlsSource.resolve("bundle.json").toString()),
                tlsProperties(liveCert, liveKey, true), true, false),
                tls);

        // ---- rotation under load, alone ------------------------------------------------------------------
        if (agentNotStarted.isEmpty()) {
            log("rotation under load");
            rows.addAll(agent.runRotation());
        } else {
            rows.addAll(agentNotStarted);
        }

        // ---- faults, side by side --------------------------------------------------------------------------
        log("agent, file and TLS faults; two trust domains");
        CompletableFuture<List<Row>> agentFaults = CompletableFuture.supplyAsync(agent::runFaults);
        CompletableFuture<List<Row>> files = CompletableFuture.supplyAsync(fileFaults::run);
        CompletableFuture<List<Row>> tlsFaults = CompletableFuture.supplyAsync(() -> {
            try {
                if (!tlsService.awaitServing(Duration.ofSeconds(180))) {
                    return List.of(Row.failed("TLS and hostile HTTP", "service serves", "the TLS service never served /keys"));
                }
            } catch (InterruptedException e) {
                return List.of();
            }
            return new TlsFaults(this, tlsService, liveCert, liveKey).run();
        });
        CompletableFuture<List<Row>> twoTrustDomains = CompletableFuture.supplyAsync(federated::run);
        Duration limit = longMode ? Duration.ofMinutes(10) : Duration.ofMinutes(4);
        rows.addAll(await(agentFaults, "Agent faults", limit));
        rows.addAll(await(files, "File source faults", limit));
        rows.addAll(await(tlsFaults, "TLS faults", limit));
        rows.addAll(federatedNotStarted);
        rows.addAll(await(twoTrustDomains, "Two trust domains", limit));

        // ---- static issuers on S3Proxy, side by side; their processes stopped at the end of each ----------------
        log("static issuers: store outage, two instances");
        CompletableFuture<List<Row>> outage = storeOutageStarted.thenApplyAsync(done -> storeOutage.run());
        CompletableFuture<List<Row>> pair = twoInstancesStarted.thenApplyAsync(done -> twoInstances.run());
        Duration storeLimit = longMode ? Duration.ofMinutes(5) : Duration.ofMinutes(3);
        rows.addAll(await(outage, "Store outage", storeLimit));
        rows.addAll(await(pair, "Two instances", storeLimit));

        // ---- hostile HTTP, alone ----------------------------------------------------------------------------
        log("hostile HTTP");
        if (tlsService.awaitServing(Duration.ofSeconds(10))) {
            CompletableFuture<List<Row>> hostile = CompletableFuture.supplyAsync(() -> new HostileHttp(this, tlsService).run());
            rows.addAll(await(hostile, "Hostile HTTP", longMode ? Duration.ofMinutes(10) : Duration.ofMinutes(2)));
        } else {
            rows.add(Row.failed("Hostile HTTP", "service serves", "the TLS service is not serving /keys"));
        }

        // ---- slow request heads at scale, alone ----------------------------------------------------------------
        log("slow request heads");
        CompletableFuture<List<Row>> slow = CompletableFuture.supplyAsync(() -> List.of(slowHeads.run()));
        rows.addAll(await(slow, SlowRequestHeads.ROW, Duration.ofMinutes(4)));

        return report(started, rows, tlsService);
    }

    private int report(Instant started, List<Row> rows, ServiceProcess tlsService) throws Exception {
        long passed = rows.stream().filter(Row::passed).count();
        long skipped = rows.stream().filter(Row::skipped).count();
        long failed = rows.size() - passed - skipped;
        Duration took = Duration.between(started, Instant.now());
        StringBuilder report = new StringBuilder();
        report.append("# Reliability and hostile-input results\n\n");
        report.append("Mode: ").append(longMode ? "long" : "short").append(". Date: ").append(started.truncatedTo(ChronoUnit.SECONDS))
                .append(". Duration: ").append(took.toSeconds()).append(" s. Machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, JDK ").append(System.getProperty("java.version"))
                .append(". Services: the packaged jar with -Xmx128m -XX:+UseSerialGC, staleness threshold 5 s; certificate reload: ")
                .append(checkedReload ? "the service's checked reload (spiffe-oidc.tls.reload-period=1s)"
                        : "Quarkus's own (quarkus.tls.reload-period=1s; this build has no checked reload)")
                .append("; file-source service ")
                .append(unprivileged ? "as uid 65534" : "as " + System.getProperty("user.name")).append("; management interface over ")
                .append(tlsService == null || tlsService.managementScheme() == null ? "?" : tlsService.managementScheme())
                .append(".\n\n");
        report.append("| scenario | expected | observed | requests | failures | result |\n|---|---|---|---:|---:|---|\n");
        for (Row row : rows) {
            report.append(row.markdown()).append('\n');
        }
        report.append("\nBundle parser fuzzing is covered by `src/test/java/io/spiffeoidc/bundle/BundleFuzzTest.java`"
                + " (mutation fuzzing, 20,000 inputs per `./mvnw verify`).\n\n");
        report.append(passed).append(" passed, ").append(failed).append(" failed")
                .append(skipped == 0 ? "" : ", " + skipped + " skipped").append('\n');
        Files.writeString(out.resolve("RESULTS.md"), report.toString(), StandardCharsets.UTF_8);
        System.out.print(report);
        System.out.flush();
        return (int) failed;
    }

    private static List<Row> await(CompletableFuture<List<Row>> future, String name, Duration limit) {
        try {
            return future.get(limit.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            future.cancel(true);
            return List.of(Row.failed(name, "finish within " + limit.toSeconds() + " s", "did not finish: " + e));
        }
    }
}
