package io.spiffeoidc.reliability;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * One service publishing two trust domains from one agent map, example.org at the root and partner.example
 * under /partner: what happens to one trust domain must never reach the other. A polite client polls each
 * issuer's /keys every 50 ms through every row; the partner's missing-trust-domain grace period is short
 * ({@link #GRACE}) so that its end falls inside the row.
 */
final class FederatedScenarios {

    static final String PRIMARY_ID = "spiffe://example.org";
    static final String PARTNER = "partner.example";
    static final String PARTNER_ID = "spiffe://" + PARTNER;
    static final Duration GRACE = Duration.ofSeconds(3);
    /** The service looks for trust domains past their grace period once a second (source/SourceLifecycle). */
    static final Duration GRACE_CHECK = Duration.ofSeconds(1);
    static final String WITHDRAWN_BODY = "{\"error\":\"trust domain no longer delivered by the key source\"}";

    static final List<String> ROWS = List.of("Two trust domains: one rotates while the other is steady",
            "Two trust domains: one's agent data is garbage, the other unaffected",
            "Two trust domains: one removed from the agent's map, served through its grace period, then 503");

    private final ReliabilitySuite suite;
    private final Versions primary = new Versions("fed-a");
    private final Versions partner = new Versions("fed-b");
    /** One counter for both trust domains: a version number names one bundle in the row texts. */
    private int nextVersion;
    private Processes.AgentProcess agent;
    private ServiceProcess service;

    FederatedScenarios(ReliabilitySuite suite) {
        this.suite = suite;
    }

    /** Starts the agent with both trust domains in its map and the service on it; on failure every row is returned as failed. */
    List<Row> start() {
        if (!Processes.agentAvailable()) {
            return failAll("not run: " + Processes.AGENT_MAIN + " is not in this build");
        }
        try {
            Path map = suite.out.resolve("federated-map.json");
            Files.writeString(map, "{\"" + PRIMARY_ID + "\":" + nextOf(primary).jwks() + ",\""
                    + PARTNER_ID + "\":" + nextOf(partner).jwks() + "}");
            Path socket = suite.runDir.resolve("agent-federated.sock");
            agent = suite.processes.startAgent(socket, PRIMARY_ID, List.of("--map-file", map.toString()), "agent-federated.log");
            List<String> properties = new ArrayList<>(suite.tlsProperties(suite.certA, suite.keyA, false));
            // A map key with dots: a system property, as no environment variable name can spell it.
            properties.add("-Dspiffe-oidc.federated.\"" + PARTNER + "\".path-prefix=/partner");
            properties.add("-Dspiffe-oidc.missing-trust-domain-grace-period=" + GRACE.toSeconds() + "s");
            service = suite.processes.startService(new Processes.ServiceSpec("federated",
                    Map.of("SPIFFE_OIDC_SOURCE", "workload-api", "SPIFFE_OIDC_TRUST_DOMAIN", "example.org",
                            "SPIFFE_ENDPOINT_SOCKET", "unix://" + socket),
                    properties, true, false), suite.tls);
            return List.of();
        } catch (Exception e) {
            return failAll("not run: could not start the agent or the service: " + e);
        }
    }

    private static List<Row> failAll(String why) {
        return ROWS.stream().map(name -> Row.failed(name, "see the scenario list", why)).toList();
    }

    List<Row> run() {
        if (service == null) {
            return List.of();
        }
        try {
            if (!service.awaitServing(Duration.ofSeconds(180))) {
                return failAll("not run: the federated service never served /keys; see " + service.log.getFileName());
            }
        } catch (InterruptedException e) {
            return List.of();
        }
        List<Row> rows = new ArrayList<>();
        rows.add(guarded(ROWS.get(0), this::rotation));
        rows.add(guarded(ROWS.get(1), this::garbage));
        rows.add(guarded(ROWS.get(2), this::removal));
        stop();
        return rows;
    }

    /** Done with both: the rows that run alone later (hostile HTTP, slow request heads) get the machine without them. */
    private void stop() {
        for (Process process : List.of(service.process, agent.process)) {
            process.destroy();
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private interface Scenario {
        Row run() throws Exception;
    }

    private static Row guarded(String name, Scenario scenario) {
        try {
            return scenario.run();
        } catch (Exception e) {
            return Row.failed(name, "run to the end", "aborted: " + e);
        }
    }

    private Duration hold() {
        return suite.longMode ? Duration.ofSeconds(30) : Duration.ofSeconds(6);
    }

    // ---- rows -----------------------------------------------------------------------------------------------

    private Row rotation() throws Exception {
        String expected = "steady issuer: every answer 200 with its one ETag; rotated issuer: every answer 200, ETag changes"
                + " exactly once, new keys served within 2 s of the push";
        List<String> problems = new ArrayList<>();
        Versions.Version steady = partner.latest();
        Versions.Version old = primary.latest();
        Versions.Version next = nextOf(primary);
        long push;
        try (Poll steadyPoll = new Poll("/partner/keys", partner); Poll rotatedPoll = new Poll("/keys", primary)) {
            Thread.sleep(hold().toMillis() / 2);
            push = System.nanoTime();
            agent.control("bundle?trust-domain=" + PRIMARY_ID, next.jwks());
            Thread.sleep(hold().toMillis() / 2);
            steadyPoll.close();
            rotatedPoll.close();
            steadyPoll.expectOnly(steady, problems);
            rotatedPoll.expectAll200(problems);
            if (rotatedPoll.etagChanges() != 1) {
                problems.add("rotated issuer's ETag changed " + rotatedPoll.etagChanges() + " times");
            }
            rotatedPoll.expectVersions(List.of(old.number(), next.number()), problems);
            long served = rotatedPoll.firstSeen(next.number()) - push;
            if (served > Duration.ofSeconds(2).toNanos()) {
                problems.add("new keys served only " + FaultStep.seconds(served) + " after the push");
            }
            String observed = String.format(Locale.ROOT, "%d s; steady issuer (/partner): %s, %d ETag change(s); rotated issuer"
                    + " (/): %s, ETag changed %d time(s), new keys served %d ms after the push", hold().toSeconds(),
                    steadyPoll.summary(), steadyPoll.etagChanges(), rotatedPoll.summary(), rotatedPoll.etagChanges(),
                    Math.max(0, served) / 1_000_000);
            return row(ROWS.get(0), expected, observed, steadyPoll.requests() + rotatedPoll.requests(), problems);
        }
    }

    private Row garbage() throws Exception {
        String expected = "broken issuer: last good keys, every answer 200 with its one ETag; refusal counted and logged once;"
                + " the other issuer 200 throughout and takes a rotation meanwhile; broken one's next good bundle served within 6 s";
        List<String> problems = new ArrayList<>();
        Versions.Version lastGood = partner.latest();
        Versions.Version old = primary.latest();
        Versions.Version next = nextOf(primary);
        Versions.Version repaired = nextOf(partner);
        double refusedBefore = refusals("invalid-json");
        long logBefore = logLines("refused (invalid-json)");
        try (Poll brokenPoll = new Poll("/partner/keys", partner); Poll otherPoll = new Poll("/keys", primary)) {
            Thread.sleep(500);
            long broken = System.nanoTime();
            agent.control("garbage?trust-domain=" + PARTNER_ID, "");
            long refusedAt = awaitNanos(() -> refusals("invalid-json") > refusedBefore, Duration.ofSeconds(10));
            if (refusedAt < 0) {
                problems.add("no invalid-json refusal counted for " + PARTNER + " within 10 s");
            }
            // The other trust domain's rotation re-sends the whole map, the garbage entry with it.
            agent.control("bundle?trust-domain=" + PRIMARY_ID, next.jwks());
            Thread.sleep(hold().toMillis() / 2);
            double refusedDelta = refusals("invalid-json") - refusedBefore;
            long logDelta = logLines("refused (invalid-json)") - logBefore;
            if (refusedDelta != 1 || logDelta != 1) {
                problems.add("refusal counted " + refusedDelta + " and logged " + logDelta + " time(s), expected once each");
            }
            brokenPoll.expectOnly(lastGood, problems);
            long back = System.nanoTime();
            agent.control("bundle?trust-domain=" + PARTNER_ID, repaired.jwks());
            long recovered = awaitNanos(() -> brokenPoll.firstSeen(repaired.number()) > 0, Duration.ofSeconds(10));
            brokenPoll.close();
            otherPoll.close();
            otherPoll.expectAll200(problems);
            otherPoll.expectVersions(List.of(old.number(), next.number()), problems);
            if (recovered < 0 || brokenPoll.firstSeen(repaired.number()) - back > Duration.ofSeconds(6).toNanos()) {
                problems.add("the repaired bundle was not served within 6 s");
            }
            String observed = String.format(Locale.ROOT, "broken issuer (/partner): %s, last good ETag kept until the repair;"
                    + " refused %d ms after the push, counted %.0f and logged %d time(s); other issuer (/): %s, its rotation"
                    + " meanwhile served (ETag changed %d time(s)); repaired bundle served %d ms after the push",
                    brokenPoll.summary(), refusedAt < 0 ? -1 : (refusedAt - broken) / 1_000_000, refusedDelta, logDelta,
                    otherPoll.summary(), otherPoll.etagChanges(),
                    Math.max(0, brokenPoll.firstSeen(repaired.number()) - back) / 1_000_000);
            return row(ROWS.get(1), expected, observed, brokenPoll.requests() + otherPoll.requests() + 4, problems);
        }
    }

    private Row removal() throws Exception {
        String expected = "removed issuer: last good keys 200 for the grace period (" + GRACE.toSeconds() + " s), then 503 with"
                + " the fixed body on both documents within the grace check; absence counted once and in the gauge; 200"
                + " again within 6 s of its return; the other issuer 200 with one ETag throughout";
        List<String> problems = new ArrayList<>();
        Versions.Version lastGood = partner.latest();
        Versions.Version steady = primary.latest();
        Versions.Version back = nextOf(partner);
        double missingBefore = refusals("trust-domain-missing");
        try (Poll removedPoll = new Poll("/partner/keys", partner); Poll otherPoll = new Poll("/keys", primary)) {
            Thread.sleep(500);
            long removed = System.nanoTime();
            agent.control("remove?trust-domain=" + PARTNER_ID, "");
            Duration limit = GRACE.plus(GRACE_CHECK).plusSeconds(5);
            long withdrawn = awaitNanos(() -> removedPoll.firstStatusOtherThan200() > 0, limit);
            String gauge = metricLine("spiffe_oidc_trust_domain_missing_seconds");
            double missingDelta = refusals("trust-domain-missing") - missingBefore;
            HttpResponse<String> discovery = service.get("/partner/.well-known/openid-configuration");
            Thread.sleep(1000); // withdrawn, and staying so, until the trust domain returns
            long returned = System.nanoTime();
            agent.control("bundle?trust-domain=" + PARTNER_ID, back.jwks());
            long recovered = awaitNanos(() -> removedPoll.firstSeen(back.number()) > 0, Duration.ofSeconds(10));
            removedPoll.close();
            otherPoll.close();

            long servedFor = withdrawn < 0 ? -1 : removedPoll.firstStatusOtherThan200() - removed;
            if (withdrawn < 0) {
                problems.add("still served " + FaultStep.seconds(limit.toNanos()) + " after the removal");
            } else if (servedFor < GRACE.toNanos() || servedFor > GRACE.plus(GRACE_CHECK).plusMillis(1500).toNanos()) {
                problems.add("withdrawn " + FaultStep.seconds(servedFor) + " after the removal, expected between the grace"
                        + " period and one grace check later");
            }
            removedPoll.expectWithdrawal(lastGood, back, problems);
            if (discovery.statusCode() != 503 || !discovery.body().equals(WITHDRAWN_BODY)) {
                problems.add("discovery answered " + discovery.statusCode() + " " + Watch.abbreviate(discovery.body()));
            }
            if (missingDelta != 1) {
                problems.add("trust-domain-missing counted " + missingDelta + " time(s)");
            }
            if (gauge == null || !gauge.contains("trust_domain=\"" + PARTNER + "\"")) {
                problems.add("no spiffe_oidc_trust_domain_missing_seconds series for " + PARTNER);
            }
            if (recovered < 0 || removedPoll.firstSeen(back.number()) - returned > Duration.ofSeconds(6).toNanos()) {
                problems.add("not served again within 6 s of its return");
            }
            otherPoll.expectOnly(steady, problems);
            String observed = String.format(Locale.ROOT, "removed issuer (/partner): last good keys 200 for %s after the"
                    + " removal (grace %d s, checked every %d s), then 503 (%s) until it was back, 200 again %d ms after its"
                    + " return; discovery %d; absence counted %.0f time(s), gauge %s; other issuer (/): %s, %d ETag change(s)",
                    withdrawn < 0 ? "ever" : FaultStep.seconds(servedFor), GRACE.toSeconds(), GRACE_CHECK.toSeconds(),
                    removedPoll.statusCounts(), Math.max(0, removedPoll.firstSeen(back.number()) - returned) / 1_000_000,
                    discovery.statusCode(), missingDelta, gauge == null ? "absent" : gauge.substring(gauge.lastIndexOf(' ') + 1)
                            + " s at the withdrawal",
                    otherPoll.summary(), otherPoll.etagChanges());
            return row(ROWS.get(2), expected, observed, removedPoll.requests() + otherPoll.requests() + 1, problems);
        }
    }

    /** The next version of one trust domain's bundle, published so that its polls recognise it. */
    private Versions.Version nextOf(Versions versions) {
        return versions.publish(versions.build(nextVersion++));
    }

    private static Row row(String name, String expected, String observed, long requests, List<String> problems) {
        String text = problems.isEmpty() ? observed : observed + ". PROBLEMS: " + String.join("; ", problems);
        return new Row(name, expected, text, requests, problems.size(), problems.isEmpty());
    }

    // ---- looking at the service -------------------------------------------------------------------------------

    /** spiffe_oidc_bundle_updates_refused_total of the partner for one reason; 0 before the first. */
    private double refusals(String reason) {
        String line = metricLine("spiffe_oidc_bundle_updates_refused_total{reason=\"" + reason + "\",trust_domain=\"" + PARTNER + "\"}");
        return line == null ? 0 : Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** The partner's line of a metric series (prefix match), or null. */
    private String metricLine(String prefix) {
        try {
            for (String line : service.metrics().split("\n")) {
                if (line.startsWith(prefix) && line.contains("trust_domain=\"" + PARTNER + "\"")) {
                    return line;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    private long logLines(String text) throws IOException {
        try (var lines = Files.lines(service.log)) {
            return lines.filter(line -> line.contains(text)).count();
        }
    }

    /** System.nanoTime() when the condition first held, polling every 20 ms; -1 after the timeout. */
    private static long awaitNanos(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return System.nanoTime();
            }
            Thread.sleep(20);
        }
        return condition.getAsBoolean() ? System.nanoTime() : -1;
    }

    /**
     * A polite relying party on one issuer's /keys: a GET every 50 ms over one keep-alive connection, every
     * answer kept (time, status, which published version, ETag) for the row to judge afterwards.
     */
    private final class Poll implements AutoCloseable {

        record Answer(long at, int status, Integer version, String etag, String body) {
        }

        private final String path;
        private final Versions versions;
        private final List<Answer> answers = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        Poll(String path, Versions versions) {
            this.path = path;
            this.versions = versions;
            this.thread = new Thread(this::loop, "poll" + path.replace('/', '-'));
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            while (running) {
                try {
                    HttpResponse<String> response = service.client().send(HttpRequest.newBuilder(URI.create(service.url(path)))
                            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    boolean ok = response.statusCode() == 200;
                    answers.add(new Answer(System.nanoTime(), response.statusCode(), ok ? versions.match(response.body()) : null,
                            response.headers().firstValue("etag").orElse(null), ok ? null : response.body()));
                } catch (IOException e) {
                    answers.add(new Answer(System.nanoTime(), -1, null, null, e.toString()));
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        long requests() {
            return answers.size();
        }

        long count200() {
            return answers.stream().filter(a -> a.status() == 200).count();
        }

        String summary() {
            return count200() + "/" + requests() + " answered 200";
        }

        Map<String, Long> statusCounts() {
            Map<String, Long> counts = new TreeMap<>();
            answers.forEach(a -> counts.merge(a.status() < 0 ? "failed" : String.valueOf(a.status()), 1L, Long::sum));
            return counts;
        }

        int etagChanges() {
            int changes = 0;
            String last = null;
            for (Answer answer : answers) {
                if (answer.etag() != null) {
                    if (last != null && !last.equals(answer.etag())) {
                        changes++;
                    }
                    last = answer.etag();
                }
            }
            return changes;
        }

        long firstSeen(int version) {
            return answers.stream().filter(a -> Integer.valueOf(version).equals(a.version())).mapToLong(Answer::at).findFirst()
                    .orElse(-1);
        }

        long firstStatusOtherThan200() {
            return answers.stream().filter(a -> a.status() != 200).mapToLong(Answer::at).findFirst().orElse(-1);
        }

        void expectAll200(List<String> problems) {
            answers.stream().filter(a -> a.status() != 200).findFirst().ifPresent(a -> problems.add(path + " answered "
                    + a.status() + " " + Watch.abbreviate(String.valueOf(a.body()))));
        }

        /** Every answer 200 with exactly this version, under one ETag. */
        void expectOnly(Versions.Version version, List<String> problems) {
            expectVersions(List.of(version.number()), problems);
            if (etagChanges() != 0) {
                problems.add(path + " changed its ETag " + etagChanges() + " time(s)");
            }
        }

        /** Every answer 200 with one of these versions, in this order (never back to an earlier one). */
        void expectVersions(List<Integer> order, List<String> problems) {
            expectAll200(problems);
            int position = 0;
            for (Answer answer : answers) {
                if (answer.status() != 200) {
                    continue;
                }
                int index = answer.version() == null ? -1 : order.indexOf(answer.version());
                if (index < position) {
                    problems.add(path + " served " + (answer.version() == null ? "a body that is no published version"
                            : "version " + answer.version()) + ", expected " + order.subList(position, order.size()));
                    return;
                }
                position = index;
            }
        }

        /** 200 with {@code lastGood}, then 503 with the fixed body, then 200 with {@code back}: nothing else, no going back. */
        void expectWithdrawal(Versions.Version lastGood, Versions.Version back, List<String> problems) {
            int stage = 0; // 0: last good keys, 1: withdrawn, 2: back
            Set<String> seen = new LinkedHashSet<>();
            for (Answer answer : answers) {
                int next;
                if (answer.status() == 200 && Integer.valueOf(lastGood.number()).equals(answer.version())) {
                    next = 0;
                } else if (answer.status() == 503 && WITHDRAWN_BODY.equals(answer.body())) {
                    next = 1;
                } else if (answer.status() == 200 && Integer.valueOf(back.number()).equals(answer.version())) {
                    next = 2;
                } else {
                    seen.add(answer.status() + " " + Watch.abbreviate(String.valueOf(answer.body())));
                    continue;
                }
                if (next < stage) {
                    seen.add("went back from stage " + stage + " to " + next);
                }
                stage = Math.max(stage, next);
            }
            if (!seen.isEmpty()) {
                problems.add(path + " answered out of order or unexpectedly: " + seen);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(10_000);
        }
    }
}
