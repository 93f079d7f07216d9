package io.spiffeoidc.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interleaving that once took a store backwards at a lease handover: a round starts with the set the
 * instance serves (A), the store holds a newer one another instance wrote (B), and B is served here while
 * the round reads the store. B is then in the instance's history, so it may be replaced, but not by A.
 * The store is a real directory; the interleaving is forced by running the offer of B inside the read.
 */
class NewerSetDuringARoundTest {

    @TempDir
    Path directory;

    @Test
    void aSetServedDuringTheRoundIsNeverReplacedByTheRoundsOlderOne() throws Exception {
        StaticIssuerScenarios scenarios = new StaticIssuerScenarios(new DirectoryFixture(directory));
        BundlePublisher publisher = TestPublishers.publisher("file", Clock.systemUTC());
        byte[] older = TestBundles.jwks(scenarios.key(0)).getBytes(StandardCharsets.UTF_8);
        byte[] newer = TestBundles.jwks(scenarios.key(1)).getBytes(StandardCharsets.UTF_8);
        publisher.offerDocument(older);
        byte[] olderJwks = publisher.view().served().jwks().body();

        var target = scenarios.target("t", new DirectoryFixture(directory).settings(), Duration.ofSeconds(5));
        DirectoryStore real = new DirectoryStore(((io.spiffeoidc.config.Target.Directory) target.store()).path());
        // What another instance, ahead of this one, wrote: the newer set, with the listener's bytes.
        BundlePublisher ahead = TestPublishers.publisher("file", Clock.systemUTC());
        ahead.offerDocument(newer);
        byte[] newerJwks = ahead.view().served().jwks().body();
        real.write(target.jwksObject(), new ObjectWrite(newerJwks, "application/json", "no-cache", Map.of()),
                Precondition.absent());

        AtomicBoolean armed = new AtomicBoolean(true);
        List<byte[]> jwksWrites = new CopyOnWriteArrayList<>();
        ObjectStore interleaving = new ObjectStore() {
            @Override
            public Optional<StoredObject> read(String key) throws StoreException {
                Optional<StoredObject> stored = real.read(key);
                if (key.equals(target.jwksObject()) && armed.getAndSet(false)) {
                    publisher.offerDocument(newer); // this instance's source catches up while the round reads
                }
                return stored;
            }

            @Override
            public String write(String key, ObjectWrite object, Precondition precondition) throws StoreException {
                if (key.equals(target.jwksObject())) {
                    jwksWrites.add(object.body());
                }
                return real.write(key, object, precondition);
            }

            @Override
            public String describe() {
                return real.describe();
            }

            @Override
            public void close() {
            }
        };
        TargetPublisher instance = new TargetPublisher(target, interleaving, publisher.view(), "late", Clock.systemUTC());
        instance.start();
        try {
            Await.until("the store current with the newer set", () -> instance.status().phase() == TargetStatus.Phase.CURRENT);
        } finally {
            instance.stop();
        }
        assertEquals(List.of(), jwksWrites.stream().filter(body -> java.util.Arrays.equals(body, olderJwks)).toList(),
                "the older set was written over the newer one");
        assertEquals(new String(newerJwks, StandardCharsets.UTF_8),
                new String(real.read(target.jwksObject()).orElseThrow().body(), StandardCharsets.UTF_8));
    }
}
