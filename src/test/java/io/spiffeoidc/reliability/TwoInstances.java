package io.spiffeoidc.reliability;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Two service processes publish the same issuer to the same bucket on one S3Proxy process, each from a bundle
 * file of its own; the instance that holds the publisher lease first gets every new key set promptly, the
 * other {@link #LATE} later. Halfway, right after a rotation reached the bucket, the holder is stopped with SIGTERM
 * (it gives the lease back on shutdown) and the late one takes over from a store ahead of its own source: it gets
 * that rotation only once it has taken the lease and reported catching up, as a source slower than the takeover
 * would deliver it. Throughout, a relying party
 * reads the JWKS from the bucket with anonymous GETs, each listener's /keys is read, and both instances'
 * spiffe_oidc_target_lease_held is sampled.
 */
final class TwoInstances {

    static final String ONLY = "two-instances";
    static final Duration LEASE = Duration.ofSeconds(5);
    static final Duration BACKOFF_MAX = Duration.ofSeconds(2);
    static final Duration LATE = Duration.ofMillis(300);
    /** One rotation at most this often, so that each listener serves each set long enough for a 50 ms poll to see it. */
    static final Duration PACE = Duration.ofMillis(600);
    /** How often a standby reads the lease: a released lease is taken at its next read. */
    static final Duration STANDBY_CHECK = LEASE.dividedBy(4);
    static final Duration TAKEOVER_AFTER_RELEASE = STANDBY_CHECK.plusMillis(750);
    static final Duration ROTATION_TIMEOUT = Duration.ofSeconds(15);

    static final List<String> ROWS = List.of("Two instances: the stored key set never went backwards",
            "Two instances: every stored key set was one a service served", "Two instances: exactly one lease holder",
            "Two instances: takeover after SIGTERM of the holder (s)");

    private final ReliabilitySuite suite;
    private final Versions versions = new Versions("pair");
    private StoreBucket bucket;
    private final List<Instance> instances = new ArrayList<>();
    private Exception startFailure;

    /** One service, its bundle file, and what its listener was seen to serve. */
    private static final class Instance {
        final String name;
        final Path directory;
        final ServiceProcess service;
        final Set<Integer> served = ConcurrentHashMap.newKeySet();

        Instance(String name, Path directory, ServiceProcess service) {
            this.name = name;
            this.directory = directory;
            this.service = service;
        }

        void write(Versions.Version version) throws IOException {
            TwoInstances.write(directory, version);
        }

        /** spiffe_oidc_target_lease_held; 0 when the process is gone or its management port does not answer. */
        double leaseHeld() throws InterruptedException {
            return gauge("spiffe_oidc_target_lease_held");
        }

        /** One of the target's gauges; 0 when the process is gone or its management port does not answer. */
        double gauge(String name) throws InterruptedException {
            if (!service.process.isAlive()) {
                return 0;
            }
            double value = ServiceProcess.metricSum(service.metrics(), name);
            return Double.isNaN(value) ? 0 : value;
        }
    }

    TwoInstances(ReliabilitySuite suite) {
        this.suite = suite;
    }

    /** S3Proxy with its bucket and both services, each with the first key set in its file; blocks for S3Proxy's start. */
    void start() {
        try {
            bucket = new StoreBucket(suite, "two");
            Versions.Version first = versions.publish(versions.build(0));
            for (String name : List.of("store-a", "store-b")) {
                Path directory = Files.createDirectories(suite.runDir.resolve(name));
                Map<String, String> env = new HashMap<>(bucket.serviceEnvironment(LEASE, BACKOFF_MAX));
                env.put("SPIFFE_OIDC_SOURCE", "file");
                env.put("SPIFFE_OIDC_FILE_PATH", directory.resolve("bundle.json").toString());
                env.put("SPIFFE_OIDC_FILE_POLL_INTERVAL", "100ms");
                env.put("SPIFFE_OIDC_TRUST_DOMAIN", "example.org");
                env.put("HOSTNAME", name); // names the instance in the lease object
                write(directory, first);
                instances.add(new Instance(name, directory, suite.processes.startService(
                        new Processes.ServiceSpec(name, env, List.of(), false, false), suite.tls)));
            }
        } catch (Exception | AssertionError e) {
            startFailure = e instanceof Exception exception ? exception : new IllegalStateException(e.getMessage(), e);
        }
    }

    List<Row> run() {
        if (startFailure != null) {
            return failAll("not run: could not start S3Proxy or the services: " + startFailure);
        }
        try {
            for (Instance instance : instances) {
                if (!instance.service.awaitServing(Duration.ofSeconds(180))) {
                    return failAll("not run: " + instance.name + " never served /keys; see " + instance.service.log.getFileName());
                }
            }
            return rotations(suite.longMode ? 50 : 20);
        } catch (Exception e) {
            return failAll("aborted: " + e);
        } finally {
            stop();
        }
    }

    /** A temporary file, then one rename: the file source never reads half a bundle. */
    private static void write(Path directory, Versions.Version version) throws IOException {
        Path temp = directory.resolve(".bundle.tmp");
        Files.writeString(temp, version.jwks());
        Files.move(temp, directory.resolve("bundle.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<Row> failAll(String why) {
        return ROWS.stream().map(name -> Row.failed(name, "see the scenario list", why)).toList();
    }

    private void stop() {
        for (Instance instance : instances) {
            instance.service.process.destroy();
        }
        for (Instance instance : instances) {
            try {
                if (!instance.service.process.waitFor(10, TimeUnit.SECONDS)) {
                    instance.service.process.destroyForcibly();
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

    private List<Row> rotations(int rotations) throws Exception {
        // The first holder: whichever took the lease. It is fed promptly, so the other takes over from a store ahead of it.
        long settled = await(() -> {
            try {
                return instances.get(0).leaseHeld() + instances.get(1).leaseHeld() == 1;
            } catch (InterruptedException e) {
                return false;
            }
        }, Duration.ofSeconds(60));
        if (settled < 0) {
            return failAll("not run: the two instances did not settle on one lease holder within 60 s");
        }
        Instance prompt = instances.get(0).leaseHeld() == 1 ? instances.get(0) : instances.get(1);
        Instance late = prompt == instances.get(0) ? instances.get(1) : instances.get(0);
        if (await(() -> Integer.valueOf(0).equals(versionIn(bucket, StoreBucket.JWKS)), Duration.ofSeconds(30)) < 0) {
            return failAll("not run: the first key set never reached S3Proxy; see " + prompt.service.log.getFileName());
        }

        List<String> rotationProblems = new CopyOnWriteArrayList<>();
        List<Long> latencies = new ArrayList<>();
        Takeover takeover = null;
        ScheduledExecutorService lateFeed = Executors.newSingleThreadScheduledExecutor();
        StorePoll store = new StorePoll().start();
        List<ServedPoll> served = List.of(new ServedPoll(prompt).start(), new ServedPoll(late).start());
        LeaseSamples leases = new LeaseSamples(prompt, late).start();
        long began = System.nanoTime();
        try {
            for (int k = 1; k <= rotations; k++) {
                long tick = System.nanoTime();
                Versions.Version version = versions.publish(versions.build(k));
                if (prompt.service.process.isAlive()) {
                    prompt.write(version);
                }
                boolean halfway = k == rotations / 2;
                if (!halfway) {
                    lateFeed.schedule(() -> {
                        try {
                            late.write(version);
                        } catch (IOException e) {
                            rotationProblems.add("writing the late instance's file: " + e);
                        }
                    }, LATE.toMillis(), TimeUnit.MILLISECONDS);
                }
                int wanted = k;
                long seen = await(() -> store.highest() >= wanted, ROTATION_TIMEOUT);
                if (seen < 0) {
                    rotationProblems.add("rotation " + k + " not readable in the bucket within " + ROTATION_TIMEOUT.toSeconds() + " s");
                    break;
                }
                long first = store.firstSeen(k);
                latencies.add(((first < 0 ? seen : first) - tick) / 1_000_000);
                if (halfway) {
                    // The late instance gets this set only once it holds the lease and has found the store ahead.
                    takeover = takeOver(prompt, late, version);
                }
                long rest = PACE.toNanos() - (System.nanoTime() - tick);
                if (rest > 0) {
                    Thread.sleep(rest / 1_000_000);
                }
            }
        } finally {
            leases.close();
            store.close();
            for (ServedPoll poll : served) {
                poll.close();
            }
            lateFeed.shutdownNow();
        }
        long took = System.nanoTime() - began;
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        String setting = String.format(Locale.ROOT, "%d rotations%s every %d ms at most, the second instance fed %d ms late;"
                + " lease-duration %d s", rotations, suite.longMode ? "" : " (short mode; 50 in long mode)", PACE.toMillis(),
                LATE.toMillis(), LEASE.toSeconds());
        List<Row> rows = new ArrayList<>();

        // ---- never backwards ----------------------------------------------------------------------------------------
        List<String> backwards = new ArrayList<>(rotationProblems);
        if (store.regressions.get() > 0) {
            Takeover handover = takeover;
            List<String> when = store.regressionsAt.stream().limit(3).map(at -> handover == null ? "?"
                    : FaultStep.seconds(at - handover.sigterm) + " after the SIGTERM").toList();
            backwards.add(store.regressions.get() + " regressions, e.g. " + store.samples + ", read " + when);
        }
        rows.add(row(ROWS.get(0), "a relying party's anonymous GETs of the bucket's JWKS (every 50 ms) never read an older set"
                + " after a newer one; every rotation readable",
                String.format(Locale.ROOT, "%s; %d GETs over %.1f s, %d distinct"
                        + " sets read, %d regressions; each rotation readable p50 %d ms, max %d ms after its push", setting,
                        store.reads.get(), took / 1e9, store.seen.size(), store.regressions.get(), AgentScenarios.percentile(sorted, 50),
                        sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1)),
                store.reads.get(), backwards));

        // ---- only validated sets ---------------------------------------------------------------------------------------
        Set<Integer> servedByEither = new TreeSet<>(prompt.served);
        servedByEither.addAll(late.served);
        Set<Integer> unvalidated = new TreeSet<>(store.seen);
        unvalidated.removeAll(servedByEither);
        List<String> validated = new ArrayList<>();
        if (!unvalidated.isEmpty()) {
            validated.add("sets read from the bucket that neither listener served: " + unvalidated);
        }
        if (store.unknown.get() > 0) {
            validated.add(store.unknown.get() + " reads of a body that is no pushed key set, e.g. " + store.samples);
        }
        if (store.errors.get() > 0) {
            validated.add(store.errors.get() + " failed reads, e.g. " + store.samples);
        }
        rows.add(row(ROWS.get(1), "every JWKS read from the bucket is exactly one the two listeners' /keys served (both read"
                + " every 50 ms)",
                String.format(Locale.ROOT, "%d distinct sets read from the bucket, all among the %d the"
                        + " listeners served (%s: %d, %s: %d); %d unknown bodies, %d failed reads", store.seen.size(),
                        servedByEither.size(), prompt.name, prompt.served.size(), late.name, late.served.size(),
                        store.unknown.get(), store.errors.get()),
                store.reads.get() + served.stream().mapToLong(p -> p.reads.get()).sum(), validated));

        // ---- one lease holder ----------------------------------------------------------------------------------------
        rows.add(leaseRow(leases, takeover, prompt, late));

        // ---- takeover ----------------------------------------------------------------------------------------------
        rows.add(takeoverRow(takeover, prompt, late));
        return rows;
    }

    private Row leaseRow(LeaseSamples leases, Takeover takeover, Instance prompt, Instance late) {
        long outside = 0;
        long outsideOne = 0;
        long inside = 0;
        Map<String, Long> insideSums = new java.util.TreeMap<>();
        List<String> problems = new ArrayList<>();
        List<String> examples = new ArrayList<>();
        for (LeaseSamples.Sample sample : leases.samples) {
            boolean handover = takeover != null && sample.at() >= takeover.sigterm
                    && (takeover.taken < 0 || sample.at() <= takeover.taken);
            double sum = sample.prompt() + sample.late();
            if (handover) {
                inside++;
                insideSums.merge(String.format(Locale.ROOT, "%.0f", sum), 1L, Long::sum);
            } else {
                outside++;
                if (sum == 1) {
                    outsideOne++;
                } else if (examples.size() < 3) {
                    examples.add(String.format(Locale.ROOT, "%s %.0f + %s %.0f", prompt.name, sample.prompt(), late.name,
                            sample.late()));
                }
            }
            if (sum > 1 && problems.stream().noneMatch(p -> p.startsWith("two holders"))) {
                problems.add(String.format(Locale.ROOT, "two holders in one sample (%s)", handover ? "during the handover"
                        : "outside the handover"));
            }
        }
        if (outsideOne != outside) {
            problems.add((outside - outsideOne) + " samples outside the handover with a sum other than 1, e.g. " + examples);
        }
        if (outside == 0) {
            problems.add("no samples");
        }
        String observed = String.format(Locale.ROOT, "%d samples of both management /q/metrics (every 100 ms): sum 1 in"
                + " %d/%d outside the handover; during the handover (SIGTERM until the survivor reports 1) %d samples with sums"
                + " %s", leases.samples.size(), outsideOne, outside, inside, insideSums);
        return row(ROWS.get(2), "sum of spiffe_oidc_target_lease_held over both processes 1 at every sample outside the"
                + " handover, never 2 (a stopped process counts 0)", observed, leases.samples.size() * 2L, problems);
    }

    private Row takeoverRow(Takeover takeover, Instance prompt, Instance late) {
        String expected = "the holder releases the lease on SIGTERM; the other holds it within " + FaultStep.seconds(
                TAKEOVER_AFTER_RELEASE.toNanos()) + " of the release (its lease read every " + STANDBY_CHECK.toMillis()
                + " ms, + 750 ms) and sooner than the " + LEASE.toSeconds() + " s a killed holder's lease takes to run out;"
                + " finding the store ahead of its own source, it waits (catching_up 1) until its source delivers that set";
        if (takeover == null) {
            return Row.failed(ROWS.get(3), expected, "the rotations ended before the halfway takeover");
        }
        List<String> problems = new ArrayList<>();
        String observed = String.format(Locale.ROOT, "%s (the holder) SIGTERM: lease object released after %s, process exited"
                + " after %s (status %s); %s held the lease %s after the SIGTERM (%s after the release was read); the lease"
                + " object then named %s", prompt.name,
                takeover.released < 0 ? "- (not seen)" : FaultStep.seconds(takeover.released
                        - takeover.sigterm),
                takeover.exited < 0 ? "-" : FaultStep.seconds(takeover.exited - takeover.sigterm),
                takeover.exitStatus, late.name, takeover.taken < 0 ? "never" : FaultStep.seconds(takeover.taken - takeover.sigterm),
                takeover.taken < 0 || takeover.released < 0 ? "-" : FaultStep.seconds(takeover.taken - takeover.released),
                takeover.holderAfter);
        if (takeover.taken < 0) {
            problems.add("not taken over within 30 s");
        } else {
            if (takeover.taken - takeover.sigterm >= LEASE.toNanos()) {
                problems.add("taken over no sooner than a killed holder's lease runs out");
            }
            if (takeover.released >= 0 && takeover.taken - takeover.released > TAKEOVER_AFTER_RELEASE.toNanos()) {
                problems.add("taken over later than " + FaultStep.seconds(TAKEOVER_AFTER_RELEASE.toNanos()) + " after the release");
            }
        }
        if (takeover.released < 0 && (takeover.holderAfter == null || !takeover.holderAfter.startsWith(late.name))) {
            problems.add("the lease object never showed the release");
        }
        if (takeover.holderAfter == null || !takeover.holderAfter.startsWith(late.name + "-")) {
            problems.add("the lease object names " + takeover.holderAfter + ", not " + late.name);
        }
        observed += String.format(Locale.ROOT, "; the bucket held version %d, which %s's source got only afterwards: it"
                + " reported catching_up 1 %s after taking the lease,"
                + " and 0 again %s after its source got version %d", takeover.version, late.name,
                takeover.catchingUp < 0 || takeover.taken < 0 ? "never" : FaultStep.seconds(takeover.catchingUp - takeover.taken),
                takeover.caughtUp < 0 ? "never" : FaultStep.seconds(takeover.caughtUp - takeover.fed), takeover.version);
        if (takeover.catchingUp < 0) {
            problems.add("the survivor never reported catching up with a store ahead of its source");
        }
        if (takeover.caughtUp < 0) {
            problems.add("the survivor did not serve version " + takeover.version + " and stop catching up within 10 s");
        }
        return row(ROWS.get(3), expected, observed, takeover.reads, problems);
    }

    private static Row row(String name, String expected, String observed, long requests, List<String> problems) {
        String text = problems.isEmpty() ? observed : observed + ". PROBLEMS: " + String.join("; ", problems);
        return new Row(name, expected, text, requests, problems.size(), problems.isEmpty());
    }

    // ---- the takeover -----------------------------------------------------------------------------------------------

    /** Times are System.nanoTime(), -1 when not seen. */
    private static final class Takeover {
        long sigterm;
        long released = -1;
        long exited = -1;
        long taken = -1;
        String exitStatus = "?";
        String holderAfter;
        long reads;
        /** When the survivor reported catching_up 1 (the store ahead of its source), and when its source was fed. */
        long catchingUp = -1;
        long fed = -1;
        long caughtUp = -1;
        int version;
    }

    /**
     * SIGTERM to the holder; the lease object and the survivor's gauge read every 50 ms until the survivor holds it.
     * The bucket holds {@code halfway}, which the survivor's source has not delivered yet: it must wait for it
     * (catching_up 1), not write its older set; then its source gets it.
     */
    private Takeover takeOver(Instance holder, Instance survivor, Versions.Version halfway) throws Exception {
        Takeover takeover = new Takeover();
        takeover.version = halfway.number();
        takeover.sigterm = System.nanoTime();
        holder.service.process.destroy();
        long deadline = takeover.sigterm + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String leaseHolder = leaseHolder();
            takeover.reads++;
            if ("".equals(leaseHolder) && takeover.released < 0) {
                takeover.released = System.nanoTime();
            }
            if (takeover.exited < 0 && !holder.service.process.isAlive()) {
                takeover.exited = System.nanoTime();
                takeover.exitStatus = String.valueOf(holder.service.process.exitValue());
            }
            if (survivor.leaseHeld() == 1) {
                takeover.taken = System.nanoTime();
                break;
            }
            Thread.sleep(50);
        }
        takeover.holderAfter = leaseHolder();
        if (holder.service.process.waitFor(20, TimeUnit.SECONDS) && takeover.exited < 0) {
            takeover.exited = System.nanoTime();
            takeover.exitStatus = String.valueOf(holder.service.process.exitValue());
        }
        if (takeover.taken >= 0) {
            takeover.catchingUp = await(() -> gauge(survivor, "spiffe_oidc_target_catching_up") == 1, Duration.ofSeconds(10));
        }
        takeover.fed = System.nanoTime();
        survivor.write(halfway);
        takeover.caughtUp = await(() -> gauge(survivor, "spiffe_oidc_target_catching_up") == 0
                && survivor.served.contains(halfway.number()), Duration.ofSeconds(10));
        return takeover;
    }

    private static double gauge(Instance instance, String name) {
        try {
            return instance.gauge(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** The holder named in the lease object ("" once released), null when unreadable. */
    private String leaseHolder() throws InterruptedException {
        StoreBucket.Read read = bucket.get(StoreBucket.LEASE);
        if (!read.ok()) {
            return null;
        }
        try {
            String holder = JSONObjectUtils.getString(JSONObjectUtils.parse(read.body()), "holder");
            return holder == null ? "" : holder;
        } catch (java.text.ParseException e) {
            return null;
        }
    }

    // ---- watchers ----------------------------------------------------------------------------------------------------

    private Integer versionIn(StoreBucket from, String object) {
        try {
            StoreBucket.Read read = from.get(object);
            return read.ok() ? versions.match(read.body()) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** A relying party: an anonymous GET of the bucket's JWKS every 50 ms, judged as it goes. */
    private final class StorePoll extends Poller<StorePoll> {
        final AtomicLong reads = new AtomicLong();
        final AtomicLong regressions = new AtomicLong();
        final AtomicLong unknown = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Set<Integer> seen = ConcurrentHashMap.newKeySet();
        final Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
        final List<String> samples = new CopyOnWriteArrayList<>();
        /** System.nanoTime() of each regression. */
        final List<Long> regressionsAt = new CopyOnWriteArrayList<>();
        private volatile int highest = -1;

        StorePoll() {
            super("store-poll", 50);
        }

        @Override
        void once() throws InterruptedException {
            StoreBucket.Read read = bucket.get(StoreBucket.JWKS);
            reads.incrementAndGet();
            if (!read.ok()) {
                errors.incrementAndGet();
                sample(read.status() + " " + Watch.abbreviate(read.body()));
                return;
            }
            Integer version = versions.match(read.body());
            if (version == null) {
                unknown.incrementAndGet();
                sample("unknown body " + Watch.abbreviate(read.body()));
                return;
            }
            firstSeen.putIfAbsent(version, System.nanoTime());
            seen.add(version);
            if (version < highest) {
                regressions.incrementAndGet();
                regressionsAt.add(System.nanoTime());
                sample("version " + version + " after " + highest);
            }
            highest = Math.max(highest, version);
        }

        int highest() {
            return highest;
        }

        long firstSeen(int version) {
            return firstSeen.getOrDefault(version, -1L);
        }

        private void sample(String text) {
            if (samples.size() < 3) {
                samples.add(text);
            }
        }
    }

    /** One listener's /keys every 50 ms: which sets it served. */
    private final class ServedPoll extends Poller<ServedPoll> {
        final Instance instance;
        final AtomicLong reads = new AtomicLong();

        ServedPoll(Instance instance) {
            super("served-" + instance.name, 50);
            this.instance = instance;
        }

        @Override
        void once() throws InterruptedException {
            if (!instance.service.process.isAlive()) {
                return;
            }
            try {
                HttpResponse<String> response = instance.service.client().send(HttpRequest.newBuilder(
                        URI.create(instance.service.url("/keys"))).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                reads.incrementAndGet();
                Integer version = response.statusCode() == 200 ? versions.match(response.body()) : null;
                if (version != null) {
                    instance.served.add(version);
                }
            } catch (IOException e) {
                // stopping, or stopped
            }
        }
    }

    /** Both instances' lease gauges every 100 ms, the prompt one first. */
    private static final class LeaseSamples extends Poller<LeaseSamples> {
        record Sample(long at, double prompt, double late) {
        }

        final List<Sample> samples = new CopyOnWriteArrayList<>();
        private final Instance prompt;
        private final Instance late;

        LeaseSamples(Instance prompt, Instance late) {
            super("lease-samples", 100);
            this.prompt = prompt;
            this.late = late;
        }

        @Override
        void once() throws InterruptedException {
            long at = System.nanoTime();
            samples.add(new Sample(at, prompt.leaseHeld(), late.leaseHeld()));
        }
    }

    /** A thread that calls {@link #once()} every period from {@link #start()} until closed. */
    private abstract static class Poller<P extends Poller<P>> implements AutoCloseable {
        private final Thread thread;
        private final long periodMillis;
        private volatile boolean running = true;

        Poller(String name, long periodMillis) {
            this.periodMillis = periodMillis;
            this.thread = new Thread(this::loop, name);
            thread.setDaemon(true);
        }

        @SuppressWarnings("unchecked")
        P start() {
            thread.start();
            return (P) this;
        }

        abstract void once() throws InterruptedException;

        private void loop() {
            while (running) {
                try {
                    once();
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /** System.nanoTime() when the condition first held, checked every 50 ms; -1 after the timeout. */
    private static long await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return System.nanoTime();
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean() ? System.nanoTime() : -1;
    }
}
