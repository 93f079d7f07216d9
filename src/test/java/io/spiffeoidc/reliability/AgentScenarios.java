package io.spiffeoidc.reliability;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.testsupport.TestBundles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** The service on the Workload API source, against the fake agent process: rotation under load, then agent faults. */
final class AgentScenarios {

    static final String TRUST_DOMAIN_ID = "spiffe://example.org";

    private final ReliabilitySuite suite;
    private final Versions versions = new Versions("rot");
    private final Path socket;
    private Processes.AgentProcess agent;
    private ServiceProcess service;
    private int nextVersion;

    AgentScenarios(ReliabilitySuite suite) {
        this.suite = suite;
        this.socket = suite.runDir.resolve("agent.sock");
    }

    static final List<String> ROWS = List.of("Rotation under load", "Agent killed (SIGKILL) and restarted on the same socket",
            "Agent socket file deleted, then recreated", "Agent accepts calls but never answers (stall)",
            "Agent answers PERMISSION_DENIED for a while", "Agent sends garbage bytes as the bundle",
            "Agent sends an empty key set", "Agent sends private key material",
            "Agent sends a bundle map without our trust domain");

    /** Starts the agent and the service on it; on failure every agent row is returned as failed. */
    List<Row> start() {
        List<Row> rows = new ArrayList<>();
        if (!Processes.agentAvailable()) {
            for (String name : ROWS) {
                rows.add(Row.failed(name, "see the scenario list", "not run: " + Processes.AGENT_MAIN
                        + " is not in this build (the fake agent lands with the Workload API source)"));
            }
            return rows;
        }
        try {
            Versions.Version first = versions.publish(versions.build(nextVersion++));
            Path initial = suite.out.resolve("agent-initial.json");
            Files.writeString(initial, first.jwks());
            agent = suite.processes.startAgent(socket, TRUST_DOMAIN_ID, initial);
            service = suite.processes.startService(new Processes.ServiceSpec("agent",
                    Map.of("SPIFFE_OIDC_SOURCE", "workload-api", "SPIFFE_OIDC_TRUST_DOMAIN", "example.org",
                            "SPIFFE_ENDPOINT_SOCKET", "unix://" + socket),
                    suite.tlsProperties(suite.certA, suite.keyA, false), true, false),
                    suite.tls);
        } catch (Exception e) {
            for (String name : ROWS) {
                rows.add(Row.failed(name, "see the scenario list", "not run: could not start the agent or the service: " + e));
            }
        }
        return rows;
    }

    /** Waits for the service to serve, then runs the rotation; empty when not started. */
    List<Row> runRotation() {
        List<Row> rows = new ArrayList<>();
        try {
            if (!service.awaitServing(Duration.ofSeconds(180))) {
                started = false;
                for (String name : ROWS) {
                    rows.add(Row.failed(name, "see the scenario list", "not run: the service on the agent never served /keys; see "
                            + service.log.getFileName()));
                }
                return rows;
            }
            started = true;
            rows.add(rotation());
        } catch (Exception e) {
            rows.add(Row.failed(ROWS.get(0), "run to the end", "aborted: " + e));
        }
        return rows;
    }

    private boolean started;

    List<Row> runFaults() {
        if (!started) {
            return List.of();
        }
        try {
            return faults();
        } catch (Exception e) {
            return List.of(Row.failed("Agent faults", "run to the end", "aborted: " + e));
        }
    }

    // ---- rotation under load ----------------------------------------------------------------------

    private Row rotation() throws Exception {
        String scenario = ROWS.get(0);
        String expected = "every answer 200/304; every /keys body exactly one published version (never mixed, empty or older"
                + " than one already seen by that client); discovery consistent; every rotated version served";
        Duration duration = suite.longMode ? Duration.ofMinutes(4) : Duration.ofSeconds(20);
        int clients = 3;
        AtomicLong requests = new AtomicLong();
        AtomicLong notModified = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicLong regressions = new AtomicLong();
        List<String> samples = Collections.synchronizedList(new ArrayList<>());
        Map<Integer, Long> pushed = new ConcurrentHashMap<>();
        Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
        pushed.put(versions.latest().number(), System.nanoTime());
        volatileStop = false;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            HttpClient client = suite.tls.client(HttpClient.Version.HTTP_1_1);
            Thread thread = new Thread(() -> {
                int lastVersion = -1;
                String etag = null;
                long n = 0;
                while (!volatileStop) {
                    n++;
                    boolean keys = n % 2 == 0;
                    boolean conditional = keys && etag != null && n % 6 == 0;
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.url(keys ? "/keys"
                            : "/.well-known/openid-configuration"))).timeout(Duration.ofSeconds(5));
                    if (conditional) {
                        request.header("If-None-Match", etag);
                    }
                    try {
                        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                        requests.incrementAndGet();
                        int status = response.statusCode();
                        if (status == 304 && conditional) {
                            notModified.incrementAndGet();
                        } else if (status != 200) {
                            errors.incrementAndGet();
                            sample(samples, "status " + status);
                        } else if (keys) {
                            Integer version = versions.match(response.body());
                            if (version == null) {
                                wrong.incrementAndGet();
                                sample(samples, "wrong body " + Watch.abbreviate(response.body()));
                            } else {
                                firstSeen.putIfAbsent(version, System.nanoTime());
                                if (version < lastVersion) {
                                    regressions.incrementAndGet();
                                    sample(samples, "version " + version + " after " + lastVersion);
                                }
                                lastVersion = version;
                                etag = response.headers().firstValue("etag").orElse(null);
                            }
                        } else if (!versions.discoveryMatches(response.body(), service.issuer())) {
                            wrong.incrementAndGet();
                            sample(samples, "wrong discovery " + Watch.abbreviate(response.body()));
                        }
                    } catch (Exception e) {
                        requests.incrementAndGet();
                        errors.incrementAndGet();
                        sample(samples, e.toString());
                    }
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rotation-client-" + c);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        // The version served before the run may be replaced by the first push before any client asks.
        int firstRotated = nextVersion;
        long end = System.nanoTime() + duration.toNanos();
        int rotations = 0;
        while (System.nanoTime() < end) {
            long tick = System.nanoTime();
            Versions.Version version = versions.build(nextVersion++);
            versions.publish(version);
            pushed.put(version.number(), System.nanoTime());
            agent.control("bundle", version.jwks());
            rotations++;
            long sleep = 1000 - (System.nanoTime() - tick) / 1_000_000;
            if (sleep > 0) {
                Thread.sleep(sleep);
            }
        }
        Thread.sleep(1500); // let the last version propagate
        volatileStop = true;
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        List<Long> latencies = new ArrayList<>();
        int unseen = 0;
        for (Versions.Version version : versions.all()) {
            if (version.number() < firstRotated) {
                continue;
            }
            Long seen = firstSeen.get(version.number());
            Long push = pushed.get(version.number());
            if (seen == null) {
                unseen++;
            } else if (push != null) {
                latencies.add(Math.max(0, seen - push) / 1_000_000);
            }
        }
        Collections.sort(latencies);
        long failures = errors.get() + wrong.get() + regressions.get() + unseen;
        String observed = String.format(java.util.Locale.ROOT,
                "%d s, %d clients, %d rotations: %d requests (%d answered 304), %d errors, %d wrong bodies, %d regressions,"
                        + " %d versions never seen; new version visible after p50 %d ms, p99 %d ms, max %d ms%s",
                duration.toSeconds(), clients, rotations, requests.get(), notModified.get(), errors.get(), wrong.get(),
                regressions.get(), unseen, percentile(latencies, 50), percentile(latencies, 99),
                latencies.isEmpty() ? -1 : latencies.get(latencies.size() - 1),
                samples.isEmpty() ? "" : "; e.g. " + samples);
        return Row.of(scenario, expected, observed, requests.get(), failures);
    }

    private volatile boolean volatileStop;

    private static void sample(List<String> samples, String text) {
        if (samples.size() < 5) {
            samples.add(text);
        }
    }

    static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    // ---- faults ---------------------------------------------------------------------------------------

    private List<Row> faults() throws Exception {
        Duration down = suite.longMode ? Duration.ofSeconds(12) : Duration.ofMillis(7500);
        Duration content = Duration.ofSeconds(2);
        String keptAndStale = "last good keys 200 throughout; readiness DOWN only after >5 s down; new keys and ready within 6 s"
                + " of the agent being back";
        String keptRefused = "last good keys 200 throughout, refusal reported in health; next good bundle served within 6 s";
        List<Row> rows = new ArrayList<>();

        rows.add(FaultStep.named(ROWS.get(1), keptAndStale)
                .inject(() -> agent.kill())
                .hold(down, true)
                .during(() -> Files.exists(socket) ? null : "the killed agent's socket file vanished (expected a stale file)")
                .recover((watch, version) -> {
                    Versions.Version next = prepare(watch, version);
                    Path file = suite.out.resolve("agent-restart.json");
                    Files.writeString(file, next.jwks());
                    agent = suite.processes.startAgent(socket, TRUST_DOMAIN_ID, file);
                    return System.nanoTime();
                }, Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));

        rows.add(FaultStep.named(ROWS.get(2), keptAndStale)
                .inject(() -> {
                    Files.delete(socket);
                    agent.control("stop", "");
                })
                .hold(down, true)
                .during(() -> Files.exists(socket) ? "socket file exists while it should be deleted" : null)
                .recover(sendNext("start"), Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));

        rows.add(FaultStep.named(ROWS.get(3), "last good keys 200 throughout; readiness DOWN after >5 s; recovered within the"
                + " 10 s first-message deadline + 6 s of the agent answering again")
                .inject(() -> {
                    agent.control("stall", "");
                    agent.control("stop", "");
                    agent.control("start", "");
                })
                .hold(down, true)
                .recover(sendNext("allow"), Duration.ofSeconds(16)).run(service, versions, versions.latest().number(), nextVersion++));

        rows.add(FaultStep.named(ROWS.get(4), keptAndStale)
                .inject(() -> agent.control("deny", ""))
                .hold(down, true)
                .during(() -> healthMentions("PERMISSION_DENIED"))
                .recover(sendNext("allow"), Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++));

        rows.add(contentFault(ROWS.get(5), keptRefused, content, "invalid-json", () -> agent.control("garbage", "")));
        rows.add(contentFault(ROWS.get(6), keptRefused, content, "empty-key-set",
                () -> agent.control("bundle", "{\"keys\":[]}")));
        rows.add(contentFault(ROWS.get(7), keptRefused, content, "private-key-material", () -> {
            JWK secret = TestBundles.ec("leaked-private", Curve.P_256);
            agent.control("bundle", JSONObjectUtils.toJSONString(Map.of("keys", List.of(secret.toJSONObject()))));
        }));
        rows.add(contentFault(ROWS.get(8), keptRefused, content, "trust-domain-missing", () -> {
            Versions.Version other = new Versions("other").build(0);
            agent.control("map", "{\"spiffe://other.example\":" + other.jwks() + "}");
        }));
        return rows;
    }

    private Row contentFault(String name, String expected, Duration hold, String refusal, FaultStep.Action inject) {
        return FaultStep.named(name, expected)
                .inject(inject)
                .hold(hold, false)
                .during(() -> healthMentions("\"lastRefusal\":\"" + refusal))
                .recover(sendNext(), Duration.ofSeconds(6)).run(service, versions, versions.latest().number(), nextVersion++);
    }

    /** Recovery that sends the agent its commands, then the next version's keys; the clock starts before the first. */
    private FaultStep.Recovery sendNext(String... commands) {
        return (watch, version) -> {
            Versions.Version next = prepare(watch, version);
            long back = System.nanoTime();
            for (String command : commands) {
                agent.control(command, "");
            }
            agent.control("bundle", next.jwks());
            return back;
        };
    }

    private Versions.Version prepare(Watch watch, int number) {
        Versions.Version next = versions.publish(versions.build(number));
        watch.allow(number);
        return next;
    }

    private String healthMentions(String text) {
        try {
            ServiceProcess.Health health = service.health();
            return health.body().replaceAll("\":\\s+", "\":").contains(text) ? null : "readiness data does not mention " + text + ": "
                    + Watch.abbreviate(health.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
