package io.spiffeoidc.reliability;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A static issuer's store goes away in the middle of a rotation: the service on the Workload API source (its
 * own fake agent process) publishes to one S3 target on an S3Proxy process, which is stopped right after a
 * new key set is pushed, stays down while the next one is pushed, and is started again on the same port with
 * the same data. The target's retry-backoff-max is {@link #BACKOFF_MAX}, so the bound on the time from the
 * store's return to the newest set in it is known.
 */
final class StoreOutage {

    static final String ONLY = "store-outage";
    static final Duration LEASE = Duration.ofSeconds(5);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(2);
    /** The longest wait between retries: the maximum plus its 20 % jitter. */
    static final Duration LONGEST_RETRY = BACKOFF_MAX.plus(BACKOFF_MAX.dividedBy(5));
    /** One publishing round on a just-started S3Proxy: the lease taken again, the JWKS and discovery read and written. */
    static final Duration ROUND = Duration.ofSeconds(2);
    static final Duration NEWEST_BOUND = LONGEST_RETRY.plus(ROUND);
    /** How soon the listener serves a pushed key set, store or no store. */
    static final Duration SERVED_BOUND = Duration.ofSeconds(2);

    static final List<String> ROWS = List.of("Store outage: nothing published while the store is down",
            "Store outage: the listener serves the new keys throughout",
            "Store outage: newest set in the store after it returns (s)",
            "Store outage: log lines (1 warn, 1 recovery)");

    private final ReliabilitySuite suite;
    private final Versions versions = new Versions("store");
    private int nextVersion;
    private StoreBucket bucket;
    private Processes.AgentProcess agent;
    private ServiceProcess service;
    private Exception startFailure;

    StoreOutage(ReliabilitySuite suite) {
        this.suite = suite;
    }

    /** S3Proxy with its bucket, the agent with the first key set, the service on both; blocks for S3Proxy's start. */
    void start() {
        try {
            bucket = new StoreBucket(suite, "outage");
            Path initial = suite.out.resolve("store-outage-initial.json");
            Files.writeString(initial, next().jwks());
            Path socket = suite.runDir.resolve("agent-store.sock");
            agent = suite.processes.startAgent(socket, AgentScenarios.TRUST_DOMAIN_ID,
                    List.of("--bundle-file", initial.toString()), "agent-store-outage.log");
            Map<String, String> env = new HashMap<>(bucket.serviceEnvironment(LEASE, BACKOFF_MAX));
            env.put("SPIFFE_OIDC_SOURCE", "workload-api");
            env.put("SPIFFE_OIDC_TRUST_DOMAIN", "example.org");
            env.put("SPIFFE_ENDPOINT_SOCKET", "unix://" + socket);
            env.put("HOSTNAME", "store-outage");
            service = suite.processes.startService(new Processes.ServiceSpec("store-outage", env, List.of(), false, false),
                    suite.tls);
        } catch (Exception | AssertionError e) {
            startFailure = e instanceof Exception exception ? exception : new IllegalStateException(e.getMessage(), e);
        }
    }

    List<Row> run() {
        if (startFailure != null) {
            return failAll("not run: could not start S3Proxy, the agent or the service: " + startFailure);
        }
        try {
            if (!service.awaitServing(Duration.ofSeconds(180))) {
                return failAll("not run: the service never served /keys; see " + service.log.getFileName());
            }
            return outage();
        } catch (Exception e) {
            return failAll("aborted: " + e);
        } finally {
            stop();
        }
    }

    private static List<Row> failAll(String why) {
        return ROWS.stream().map(name -> Row.failed(name, "see the scenario list", why)).toList();
    }

    /** Done: the rows that run later get the machine without these processes. */
    private void stop() {
        for (Process process : new Process[] {service == null ? null : service.process, agent == null ? null : agent.process}) {
            if (process == null) {
                continue;
            }
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (bucket != null) {
            bucket.close();
        }
    }

    private Versions.Version next() {
        return versions.publish(versions.build(nextVersion++));
    }

    private List<Row> outage() throws Exception {
        Duration down = suite.longMode ? Duration.ofSeconds(20) : Duration.ofSeconds(8);
        long requests = 0;
        Versions.Version first = versions.latest();
        if (awaitStored(first.number(), Duration.ofSeconds(60)) < 0) {
            return failAll("not run: the first key set never reached S3Proxy; see " + service.log.getFileName() + " and "
                    + bucket.log());
        }
        Versions.Version before = next();
        agent.control("bundle", before.jwks());
        if (awaitStored(before.number(), Duration.ofSeconds(10)) < 0) {
            return failAll("not run: a rotation with the store up was not published within 10 s");
        }

        List<String> quiet = new ArrayList<>();
        List<String> listener = new ArrayList<>();
        List<String> newest = new ArrayList<>();
        List<String> logs = new ArrayList<>();
        StringBuilder quietObserved = new StringBuilder();
        StringBuilder listenerObserved = new StringBuilder();
        StringBuilder newestObserved = new StringBuilder();
        StringBuilder logObserved = new StringBuilder();
        long listenerRequests;
        try (Watch watch = new Watch(service, versions, before.number())) {
            // ---- the store stops right after a new key set is pushed: it may or may not have been written ----
            Versions.Version during = next();
            watch.allow(during.number());
            int logFrom = service.logLines(0).size();
            Target beforeStop = target();
            agent.control("bundle", during.jwks());
            bucket.stop();
            long stopped = System.nanoTime();
            Target atStop = target();
            String onDisk = bucket.jwksOnDisk();
            Integer preOutage = onDisk == null ? null : versions.match(onDisk);
            // ---- and the rotation goes on while it is down ------------------------------------------------------
            Versions.Version latest = next();
            watch.allow(latest.number());
            long pushed = System.nanoTime();
            agent.control("bundle", latest.jwks());
            double maxBehind = 0;
            long leaseGone = -1;
            Target last = atStop;
            int samples = 0;
            while (System.nanoTime() - stopped < down.toNanos()) {
                Thread.sleep(250);
                last = target();
                samples++;
                maxBehind = Math.max(maxBehind, last.behind());
                if (leaseGone < 0 && last.leaseHeld() != 1) {
                    leaseGone = System.nanoTime();
                }
            }
            long served = watch.awaitVersion(latest.number(), SERVED_BOUND);
            requests += samples;

            // ---- the store returns: what does it hold before the service writes again? ---------------------------
            bucket.start();
            long back = System.nanoTime();
            StoreBucket.Read firstRead = bucket.get(StoreBucket.JWKS);
            long firstReadAt = System.nanoTime();
            Target afterFirstRead = target();
            long stored = awaitStored(latest.number(), NEWEST_BOUND.plusSeconds(30));
            // Discovery is written after the JWKS, and only when its bytes change (here: the algorithms).
            long discoveryStored = awaitDiscovery(latest, Duration.ofSeconds(5));
            long recoveryLogged = awaitLog("answers again", Duration.ofSeconds(10), logFrom);
            long current = awaitTarget(t -> t.behind() == 0, Duration.ofSeconds(10));
            Target after = target();
            requests += 4 + storedReads;
            listenerRequests = watch.requests();

            // ---- row 1: nothing published while down -------------------------------------------------------------
            double failed = last.failures() - beforeStop.failures();
            double failedInAll = after.failures() - beforeStop.failures();
            Integer firstVersion = firstRead.ok() ? versions.match(firstRead.body()) : null;
            quietObserved.append(String.format(Locale.ROOT, "S3Proxy stopped right after version %d was pushed, down %d s while"
                    + " version %d was pushed; the bucket held version %s when it stopped (on disk); while down: %.0f failed"
                    + " attempts counted (spiffe_oidc_target_failures_total), behind up to %.1f s, publications_total %.0f"
                    + " -> %.0f, lease_held %.0f at the stop and %s; first anonymous GET %d ms after the restart: ",
                    during.number(), down.toSeconds(), latest.number(), preOutage == null ? "?" : preOutage.toString(), failed,
                    maxBehind, atStop.publications(), last.publications(), atStop.leaseHeld(), leaseGone < 0 ? "throughout"
                            : "0 from " + FaultStep.seconds(leaseGone - stopped) + " into the outage",
                    (firstReadAt - back) / 1_000_000));
            if (preOutage == null || (preOutage != before.number() && preOutage != during.number())) {
                quiet.add("the bucket held no whole pushed key set when S3Proxy stopped: " + Watch.abbreviate(String.valueOf(onDisk)));
            }
            if (failed < 1) {
                quiet.add("no failure counted while the store was down");
            }
            if (maxBehind <= 0) {
                quiet.add("spiffe_oidc_target_behind_seconds stayed 0 while the store was down");
            }
            if (last.publications() != atStop.publications()) {
                quiet.add("publications counted while the store was down");
            }
            if (!firstRead.ok() || firstVersion == null) {
                quiet.add("the first GET after the restart answered " + firstRead.status() + " " + Watch.abbreviate(firstRead.body()));
                quietObserved.append(firstRead.status());
            } else if (firstVersion.equals(preOutage)) {
                quietObserved.append("version ").append(firstVersion).append(", the pre-outage set");
                quietObserved.append(afterFirstRead.publications() == atStop.publications()
                        ? " (the service had not written yet: publications_total unchanged after the GET)"
                        : " (the service wrote right after it)");
            } else if (firstVersion == latest.number() && afterFirstRead.publications() > atStop.publications()) {
                quietObserved.append("version ").append(firstVersion)
                        .append(": the service's retry came first (publications_total had risen), so the bucket's"
                                + " pre-outage content is shown by the on-disk read only");
            } else {
                quiet.add("the first GET after the restart read version " + firstVersion + ", neither the pre-outage set nor"
                        + " one the service published after the restart");
                quietObserved.append("version ").append(firstVersion);
            }

            // ---- row 2: the listener ---------------------------------------------------------------------------------
            listenerObserved.append(String.format(Locale.ROOT, "%d/%d /keys answers 200 with a pushed version; version %d (pushed"
                    + " while the store was down) served %s after the push", watch.requests() - watch.failures(),
                    watch.requests(), latest.number(), served < 0 ? "never" : (served - pushed) / 1_000_000 + " ms"));
            if (watch.failures() > 0) {
                listener.add(watch.failures() + " bad answers, e.g. " + watch.problems());
            }
            if (served < 0 || served - pushed > SERVED_BOUND.toNanos()) {
                listener.add("version " + latest.number() + " not served within " + SERVED_BOUND.toSeconds() + " s of its push");
            } else if (served > back) {
                listener.add("version " + latest.number() + " served only after the store was back");
            }

            // ---- row 3: the newest set after the return --------------------------------------------------------------
            if (stored < 0) {
                newest.add("version " + latest.number() + " never reached the store");
                newestObserved.append("never");
            } else {
                newestObserved.append(FaultStep.seconds(stored - back)).append(" after S3Proxy listened again (").append(samples)
                        .append(" metric samples while down)");
                if (stored - back > NEWEST_BOUND.toNanos()) {
                    newest.add("later than " + FaultStep.seconds(NEWEST_BOUND.toNanos()));
                }
            }
            if (discoveryStored < 0) {
                String problem = discoveryProblem(bucket.get(StoreBucket.DISCOVERY), latest);
                newestObserved.append("; discovery ").append(problem);
                newest.add("discovery not updated within 5 s: " + problem);
            } else {
                newestObserved.append("; discovery with its algorithms ").append(latest.algorithms()).append(" ")
                        .append(stored < 0 ? "" : Math.max(0, discoveryStored - stored) / 1_000_000 + " ms later");
            }
            newestObserved.append(current < 0 ? "; behind never back to 0" : "; behind back to 0");
            if (current < 0) {
                newest.add("spiffe_oidc_target_behind_seconds not back to 0 within 10 s");
            }

            // ---- row 4: log lines ----------------------------------------------------------------------------------
            List<String> lines = service.logLines(logFrom);
            List<String> warnings = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
            List<String> storeWarnings = warnings.stream().filter(l -> l.contains("the store keeps what it holds")).toList();
            List<String> recoveries = lines.stream().filter(l -> l.contains("answers again")).toList();
            logObserved.append(String.format(Locale.ROOT, "%d store WARN line(s), %d other WARN/ERROR, %d recovery line(s) for"
                    + " %.0f failed attempts (spiffe_oidc_target_failures_total)", storeWarnings.size(),
                    warnings.size() - storeWarnings.size(), recoveries.size(), failedInAll));
            if (!storeWarnings.isEmpty()) {
                logObserved.append("; warn: ").append(message(storeWarnings.get(0)));
            }
            if (!recoveries.isEmpty()) {
                logObserved.append("; recovery: ").append(message(recoveries.get(0)));
            }
            if (storeWarnings.size() != 1 || warnings.size() != 1) {
                logs.add("WARN/ERROR lines: " + warnings.stream().map(StoreOutage::message).toList());
            }
            if (recoveries.size() != 1) {
                logs.add(recoveries.size() + " recovery lines" + (recoveryLogged < 0 ? " within 10 s" : ""));
            }
        }
        String downText = down.toSeconds() + " s";
        return List.of(
                row(ROWS.get(0), "while S3Proxy is down (" + downText + ", a rotation pushed meanwhile): failures counted,"
                        + " spiffe_oidc_target_behind_seconds > 0, no publication counted; right after the restart the bucket"
                        + " still holds the pre-outage set until the service writes again", quietObserved, requests, quiet),
                row(ROWS.get(1), "every /keys answer 200 with a pushed version; the set pushed while the store is down served"
                        + " within " + SERVED_BOUND.toSeconds() + " s", listenerObserved, listenerRequests, listener),
                row(ROWS.get(2), "the newest set readable by anonymous GET within " + FaultStep.seconds(NEWEST_BOUND.toNanos())
                        + " of S3Proxy listening again (retry-backoff-max " + BACKOFF_MAX.toSeconds() + " s + 20 % jitter + "
                        + ROUND.toSeconds() + " s for one round on a just-started store); discovery follows; behind back to 0",
                        newestObserved, storedReads, newest),
                row(ROWS.get(3), "exactly one WARN for the outage (not one per retry), one INFO when the store answers again,"
                        + " no other WARN or ERROR", logObserved, 0, logs));
    }

    private static Row row(String name, String expected, CharSequence observed, long requests, List<String> problems) {
        String text = problems.isEmpty() ? observed.toString() : observed + ". PROBLEMS: " + String.join("; ", problems);
        return new Row(name, expected, text, requests, problems.size(), problems.isEmpty());
    }

    /** The log line without its time stamp, shortened. */
    private static String message(String line) {
        int bracket = line.indexOf("] ");
        String text = bracket < 0 ? line : line.substring(bracket + 2);
        return text.length() > 220 ? text.substring(0, 220) + "..." : text;
    }

    /** System.nanoTime() when the stored discovery document was first right for this version; -1 after the timeout. */
    private long awaitDiscovery(Versions.Version version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            storedReads++;
            if (discoveryProblem(bucket.get(StoreBucket.DISCOVERY), version) == null) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /** Null when the stored discovery document names the issuer and lists exactly this version's algorithms. */
    private String discoveryProblem(StoreBucket.Read discovery, Versions.Version latest) {
        if (!discovery.ok()) {
            return "answered " + discovery.status();
        }
        try {
            Map<String, Object> document = JSONObjectUtils.parse(discovery.body());
            if (!bucket.issuer().equals(document.get("issuer"))) {
                return "issuer " + document.get("issuer");
            }
            Set<String> algorithms = new TreeSet<>();
            ((List<?>) document.get("id_token_signing_alg_values_supported")).forEach(a -> algorithms.add(String.valueOf(a)));
            return algorithms.equals(latest.algorithms()) ? null
                    : "lists " + algorithms + ", version " + latest.number() + " has " + latest.algorithms();
        } catch (Exception e) {
            return "unreadable: " + e;
        }
    }

    // ---- looking at the store and the service ------------------------------------------------------------------------

    private long storedReads;

    /** System.nanoTime() when an anonymous GET first read this version of the JWKS, polling every 50 ms; -1 after the timeout. */
    private long awaitStored(int version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            StoreBucket.Read read = bucket.get(StoreBucket.JWKS);
            storedReads++;
            if (read.ok() && Integer.valueOf(version).equals(versions.match(read.body()))) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return -1;
    }

    /** The target's series, from one read of the service's metrics. */
    record Target(double failures, double behind, double publications, double leaseHeld) {
    }

    private Target target() throws InterruptedException {
        String metrics = service.metrics();
        return new Target(ServiceProcess.metricSum(metrics, "spiffe_oidc_target_failures_total"),
                ServiceProcess.metricSum(metrics, "spiffe_oidc_target_behind_seconds"),
                ServiceProcess.metricSum(metrics, "spiffe_oidc_target_publications_total"),
                ServiceProcess.metricSum(metrics, "spiffe_oidc_target_lease_held"));
    }

    private long awaitTarget(java.util.function.Predicate<Target> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.test(target())) {
                return System.nanoTime();
            }
            Thread.sleep(100);
        }
        return -1;
    }

    private long awaitLog(String text, Duration timeout, int from) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (service.logLines(from).stream().anyMatch(line -> line.contains(text))) {
                return System.nanoTime();
            }
            Thread.sleep(100);
        }
        return -1;
    }
}
