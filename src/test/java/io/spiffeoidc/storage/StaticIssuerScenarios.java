package io.spiffeoidc.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.ConfiguredUrl;
import io.spiffeoidc.config.Issuer;
import io.spiffeoidc.config.PathPrefix;
import io.spiffeoidc.config.Target;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a static issuer must do on every kind of store, run against a real one: publication after start,
 * rotations reaching the store, refused bundles never published, the JWKS-then-discovery order as a
 * polling relying party sees it, an outage in the middle of a rotation, and two instances of which one is
 * fed every change late.
 */
final class StaticIssuerScenarios {

    static final String ISSUER = "https://static.example.test/td";
    static final String JWKS_URI = ISSUER + "/keys";
    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    /** Each run its own objects, so a store shared by several scenarios starts empty for each. */
    private final String prefix = "td" + RUNS.incrementAndGet() + "-" + System.nanoTime() + "/";
    private final String jwksObject = prefix + "keys";
    private final String discoveryObject = prefix + ".well-known/openid-configuration";
    private final StoreFixture store;
    private final List<ECKey> keys = new ArrayList<>();

    StaticIssuerScenarios(StoreFixture store) {
        this.store = store;
    }

    Target target(String name, Target.Store store, Duration lease) {
        Issuer issuer = new Issuer("example.org", "spiffe-oidc.",
                Optional.of(new ConfiguredUrl(ISSUER, "static.example.test", -1, "/td")),
                Optional.of(new ConfiguredUrl(JWKS_URI, "static.example.test", -1, "/td/keys")), Set.of("static.example.test"),
                PathPrefix.ROOT, Optional.empty(), Optional.empty());
        return new Target(name, issuer, jwksObject, discoveryObject, Optional.empty(), prefix + ".spiffe-oidc-publisher-lease", lease,
                Duration.ofMinutes(1), Duration.ofSeconds(2), store);
    }

    /** Key k of a rotation: P-256 for even k, P-384 for odd, so the discovery document changes every time. */
    ECKey key(int k) {
        while (keys.size() <= k) {
            int next = keys.size();
            keys.add(TestBundles.ec("k" + next, next % 2 == 0 ? Curve.P_256 : Curve.P_384));
        }
        return keys.get(k);
    }

    /** The rotation number of a published key set: its one key's id. */
    static int index(byte[] jwks) {
        try {
            List<JWK> published = JWKSet.parse(new String(jwks, StandardCharsets.UTF_8)).getKeys();
            return published.isEmpty() ? -1 : Integer.parseInt(published.get(0).getKeyID().substring(1));
        } catch (java.text.ParseException e) {
            throw new AssertionError("not a JWKS: " + new String(jwks, StandardCharsets.UTF_8), e);
        }
    }

    byte[] bundle(int k, boolean withSequence) {
        String document = withSequence ? TestBundles.spiffeBundle(1000 + k, key(k)) : TestBundles.jwks(key(k));
        return document.getBytes(StandardCharsets.UTF_8);
    }

    /** After start, and for each rotation: the listener's exact bytes, headers and metadata. */
    void publishesWhatTheListenerServes() throws Exception {
        BundlePublisher publisher = TestPublishers.publisher("file", Clock.systemUTC());
        TargetPublisher target = new TargetPublisher(target("t", store.settings(), Duration.ofSeconds(5)),
                ObjectStores.open(store.settings()), publisher.view(), "one", Clock.systemUTC());
        publisher.offerDocument(bundle(0, true));
        target.start();
        try {
            for (int k = 0; k < 3; k++) {
                if (k > 0) {
                    publisher.offerDocument(bundle(k, true));
                }
                int wanted = k;
                Await.until("rotation " + k + " in the store", () -> fetchedIndex(jwksObject) == wanted);
                PublishedBundle served = publisher.view().served();
                StoreFixture.Fetched jwks = store.fetch(jwksObject).orElseThrow();
                assertTrue(Arrays.equals(served.jwks().body(), jwks.body()), "the JWKS is the listener's bytes");
                Await.until("its discovery document",
                        () -> Arrays.equals(served.discovery(ISSUER, JWKS_URI).body(), fetchedBody(discoveryObject)));
                StoreFixture.Fetched discovery = store.fetch(discoveryObject).orElseThrow();
                if (k == 0) {
                    System.out.println(store.getClass().getSimpleName() + " serves " + jwksObject + ": " + new java.util.TreeMap<>(
                            jwks.headers()) + " " + abbreviated(jwks.body()));
                    System.out.println(store.getClass().getSimpleName() + " serves " + discoveryObject + ": "
                            + new java.util.TreeMap<>(discovery.headers()) + " " + abbreviated(discovery.body()));
                }
                Map<String, Object> document = JSONObjectUtils.parse(new String(discovery.body(), StandardCharsets.UTF_8));
                assertEquals(ISSUER, document.get("issuer"));
                assertEquals(JWKS_URI, document.get("jwks_uri"));
                String etag = served.jwks().etag();
                assertEquals(Optional.of(etag.substring(1, etag.length() - 1)), jwks.header(meta("digest")));
                assertEquals(Optional.of(Long.toString(1000 + k)), jwks.header(meta("sequence")));
                assertEquals(Optional.of("example.org"), jwks.header(meta("trustdomain")));
                if (!(store instanceof DirectoryFixture)) {
                    assertEquals(Optional.of("application/json"), jwks.header("content-type"));
                    assertEquals(Optional.of(served.cacheControl().toString()), jwks.header("cache-control"));
                    assertEquals(Optional.of("application/json"), discovery.header("content-type"));
                    assertEquals(Optional.of(served.cacheControl().toString()), discovery.header("cache-control"));
                }
            }
            assertTrue(target.status().leaseHeld());
            assertEquals(TargetStatus.Phase.CURRENT, target.status().phase());
        } finally {
            target.stop();
        }
    }

    /**
     * Rotations while a relying party polls discovery and then the JWKS: it never gets a discovery document
     * newer than the JWKS after it, never an older JWKS than it saw before, never one the publisher refused.
     *
     * @return milliseconds from each offer to the new JWKS being readable from the store
     */
    List<Long> rotationsAsARelyingPartySeesThem(int rotations) throws Exception {
        BundlePublisher publisher = TestPublishers.publisher("file", Clock.systemUTC());
        Set<Integer> validated = Collections.newSetFromMap(new ConcurrentHashMap<>());
        record(publisher.view(), validated);
        TargetPublisher target = new TargetPublisher(target("t", store.settings(), Duration.ofSeconds(5)),
                ObjectStores.open(store.settings()), publisher.view(), "one", Clock.systemUTC());
        target.start();
        Poller poller = new Poller();
        List<Long> latencies = new ArrayList<>();
        try {
            poller.start();
            for (int k = 0; k < rotations; k++) {
                if (k % 10 == 5) {
                    byte[] leaked = TestBundles.jwksWithPrivateParts(TestBundles.ec("refused" + k)).getBytes(StandardCharsets.UTF_8);
                    publisher.offerDocument(leaked);
                    assertTrue(publisher.view().status().refusals().latestRefused(), "the leaked key set is refused");
                }
                long offered = System.nanoTime();
                publisher.offerDocument(bundle(k, true));
                int wanted = k;
                Await.until("rotation " + k + " readable", () -> poller.lastJwks == wanted, poller::state);
                latencies.add(TimeUnit.NANOSECONDS.toMillis(poller.firstSeen.get(wanted) - offered));
            }
            Await.until("the discovery document of the last rotation", () -> poller.lastDiscovery >= rotations - 1);
        } finally {
            poller.stop();
            target.stop();
        }
        poller.assertSound(validated);
        return latencies;
    }

    /**
     * The store stopped in the middle of a rotation: nothing is published meanwhile, one line says so, and the
     * newest set is published once it is back.
     */
    void outageDuringRotation() throws Exception {
        BundlePublisher publisher = TestPublishers.publisher("file", Clock.systemUTC());
        TargetPublisher target = new TargetPublisher(target("t", store.settings(), Duration.ofSeconds(5)),
                ObjectStores.open(store.settings()), publisher.view(), "one", Clock.systemUTC());
        try (LogCapture log = LogCapture.of(TargetPublisher.class)) {
            publisher.offerDocument(bundle(0, true));
            target.start();
            Await.until("the first set", () -> fetchedIndex(jwksObject) == 0);
            store.stopStore();
            publisher.offerDocument(bundle(1, true));
            publisher.offerDocument(bundle(2, true));
            Await.until("failures counted while the store is down", () -> target.status().phase() == TargetStatus.Phase.FAILING
                    && target.status().failures().values().stream().mapToLong(Long::longValue).sum() >= 2);
            assertTrue(target.status().behindSeconds() > 0, "behind while the store is down");
            store.startStore();
            assertEquals(0, fetchedIndex(jwksObject), "nothing was published while the store was down");
            Await.until("the newest set after the store is back", () -> fetchedIndex(jwksObject) == 2, () -> log.lines().toString());
            Await.until("the store current again", () -> target.status().phase() == TargetStatus.Phase.CURRENT);
            assertEquals(0.0, target.status().behindSeconds());
            assertEquals(1, log.containing("the store keeps what it holds").size(), log.lines().toString());
            assertEquals(1, log.containing("answers again").size(), log.lines().toString());
        } finally {
            target.stop();
        }
    }

    /**
     * Two instances publish the same issuer; one gets every change late. Halfway the one holding the lease
     * stops and the other takes over. The stored key set never goes backwards, and is always one the
     * validated sets contained.
     */
    void twoInstancesOneFedLate(int rotations, boolean withSequence) throws Exception {
        BundlePublisher prompt = TestPublishers.publisher("file", Clock.systemUTC());
        BundlePublisher late = TestPublishers.publisher("file", Clock.systemUTC());
        Set<Integer> validated = Collections.newSetFromMap(new ConcurrentHashMap<>());
        record(prompt.view(), validated);
        record(late.view(), validated);
        Duration lease = Duration.ofSeconds(5);
        TargetPublisher first = new TargetPublisher(target("t", store.settings(), lease), ObjectStores.open(store.settings()),
                prompt.view(), "prompt", Clock.systemUTC());
        TargetPublisher second = new TargetPublisher(target("t", store.settings(), lease), ObjectStores.open(store.settings()),
                late.view(), "late", Clock.systemUTC());
        ScheduledExecutorService delay = Executors.newSingleThreadScheduledExecutor();
        Poller poller = new Poller();
        List<TargetPublisher> running = new ArrayList<>(List.of(first, second));
        try {
            prompt.offerDocument(bundle(0, withSequence));
            late.offerDocument(bundle(0, withSequence));
            // The prompt instance holds the lease first, so the late one takes over from a store ahead of it.
            first.start();
            Await.until("the prompt instance holds the lease", () -> first.status().leaseHeld());
            second.start();
            Await.until("the late instance stands by", () -> second.status().phase() == TargetStatus.Phase.STANDING_BY);
            poller.start();
            for (int k = 1; k <= rotations; k++) {
                byte[] next = bundle(k, withSequence);
                prompt.offerDocument(next);
                // As the file source does: the source reported up, then the document offered. The first wakes the
                // late instance's publisher with the set it is about to replace.
                delay.schedule(() -> {
                    late.sourceUp(false);
                    late.offerDocument(next);
                }, 300, TimeUnit.MILLISECONDS);
                int wanted = k;
                Await.until("rotation " + k + " readable", () -> poller.lastJwks >= wanted, poller::state);
                if (k == rotations / 2) {
                    first.stop();
                    running.remove(first);
                    Await.until("the late instance takes the lease over", () -> second.status().leaseHeld());
                }
            }
            Await.until("the last rotation readable", () -> poller.lastJwks == rotations, poller::state);
        } finally {
            poller.stop();
            delay.shutdownNow();
            running.forEach(TargetPublisher::stop);
        }
        poller.assertSound(validated);
    }

    private static void record(PublishedView view, Set<Integer> validated) {
        view.onChange(() -> {
            PublishedBundle served = view.served();
            if (served != null) {
                validated.add(index(served.jwks().body()));
            }
        });
    }

    private String meta(String name) {
        return store.metadataPrefix() + name;
    }

    private static String abbreviated(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        return text.length() > 160 ? text.substring(0, 160) + "… (" + body.length + " bytes)" : text;
    }

    private byte[] fetchedBody(String object) {
        try {
            return store.fetch(object).map(StoreFixture.Fetched::body).orElse(new byte[0]);
        } catch (Exception e) {
            return new byte[0];
        }
    }

    private int fetchedIndex(String object) {
        try {
            return store.fetch(object).map(fetched -> index(fetched.body())).orElse(-2);
        } catch (Exception e) {
            return -3;
        }
    }

    /** A relying party reading discovery, then the JWKS, over and over. */
    private final class Poller {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<String> violations = new CopyOnWriteArrayList<>();
        private final Map<Integer, Long> firstSeen = new ConcurrentHashMap<>();
        private final Set<Integer> seen = Collections.newSetFromMap(new ConcurrentHashMap<>());
        private volatile int lastJwks = -1;
        private volatile int lastDiscovery = -1;
        private volatile int reads;
        private Thread thread;

        void start() {
            thread = new Thread(this::poll, "relying-party");
            thread.setDaemon(true);
            thread.start();
        }

        private void poll() {
            while (running.get()) {
                try {
                    Optional<StoreFixture.Fetched> discovery = store.fetch(discoveryObject);
                    Optional<StoreFixture.Fetched> jwks = store.fetch(jwksObject);
                    reads++;
                    if (jwks.isEmpty()) {
                        continue;
                    }
                    int index = index(jwks.get().body());
                    firstSeen.putIfAbsent(index, System.nanoTime());
                    seen.add(index);
                    if (index < lastJwks) {
                        violations.add("JWKS went back from " + lastJwks + " to " + index);
                    }
                    lastJwks = Math.max(lastJwks, index);
                    Optional<String> discoverySequence = discovery.flatMap(d -> d.header(meta("sequence")));
                    if (discoverySequence.isPresent()) {
                        int discoveryIndex = (int) (Long.parseLong(discoverySequence.get()) - 1000);
                        lastDiscovery = Math.max(lastDiscovery, discoveryIndex);
                        if (discoveryIndex > index) {
                            violations.add("discovery of rotation " + discoveryIndex + " read before JWKS " + index);
                        }
                    } else if (discovery.isPresent()) {
                        lastDiscovery = Math.max(lastDiscovery, index);
                    }
                } catch (Exception e) {
                    // the store may be stopped on purpose
                }
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }

        String state() {
            return "last JWKS " + lastJwks + ", reads " + reads + ", violations " + violations;
        }

        void assertSound(Set<Integer> validated) {
            assertTrue(violations.isEmpty(), violations.toString());
            for (int index : seen) {
                assertTrue(validated.contains(index), "rotation " + index + " was published but never validated");
            }
            assertFalse(seen.isEmpty());
        }
    }
}
