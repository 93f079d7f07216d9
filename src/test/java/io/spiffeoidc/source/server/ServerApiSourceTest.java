package io.spiffeoidc.source.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import io.spiffeoidc.bundle.Withdrawal;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.server.proto.JWTKey;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeSpireServer;
import io.spiffeoidc.testsupport.PublisherWaits;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import io.spiffeoidc.testsupport.TestSinks;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerApiSourceTest {

    private static final long NO_EXPIRY = 0;

    @TempDir
    Path dir;

    private FakeSpireServer server;
    private BundlePublisher publisher;
    private PublisherWaits await;
    private ServerApiSource source;

    @BeforeEach
    void setUp() {
        server = new FakeSpireServer(dir.resolve("api.sock"));
        publisher = TestPublishers.publisher("server-api", Clock.systemUTC());
        await = new PublisherWaits(publisher, () -> "server calls " + server.calls());
        source = new ServerApiSource(dir.resolve("api.sock"), Duration.ofMillis(100));
    }

    @AfterEach
    void tearDown() {
        source.close();
        server.close();
    }

    @Test
    void publishesOnlyUntaintedUnexpiredKeysAndPicksUpChanges() {
        long inAnHour = Instant.now().plusSeconds(3600).getEpochSecond();
        long anHourAgo = Instant.now().minusSeconds(3600).getEpochSecond();
        server.setBundle("example.org", List.of(
                key(TestBundles.ec("current"), inAnHour, false),
                key(TestBundles.ec("tainted"), inAnHour, true),
                key(TestBundles.ec("expired"), anHourAgo, false),
                key(TestBundles.ec("forever"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("current", "forever");
        assertEquals(SourceState.UP, publisher.view().status().source().state());

        server.setBundle("example.org", List.of(key(TestBundles.ec("next"), inAnHour, false)));
        await.served("next");
    }

    @Test
    void convertsRsaEcAndEd25519KeysToTheSameJwks() {
        List<JWK> keys = List.of(TestBundles.rsa("a-rsa"), TestBundles.ec("b-ec"), TestBundles.ed25519("c-ed"));
        server.setBundle("example.org", keys.stream().map(k -> key(k, NO_EXPIRY, false)).toList());
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("a-rsa", "b-ec", "c-ed");
        String served = new String(publisher.view().served().jwks().body(), java.nio.charset.StandardCharsets.UTF_8);
        for (JWK key : keys) {
            String publicPart = key.toPublicJWK().toJSONObject().entrySet().stream()
                    .filter(e -> e.getKey().equals("n") || e.getKey().equals("x"))
                    .map(e -> e.getValue().toString()).findFirst().orElseThrow();
            assertTrue(served.contains(publicPart), key.getKeyID() + " published with its own public key");
        }
    }

    @Test
    void refusesAPollWithAnUndecodableKeyAndKeepsTheLastGoodKeys() {
        server.setBundle("example.org", List.of(key(TestBundles.ec("k1"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");

        JWTKey broken = JWTKey.newBuilder().setKeyId("broken").setPublicKey(ByteString.copyFromUtf8("not DER")).build();
        server.setBundle("example.org", List.of(key(TestBundles.ec("k2"), NO_EXPIRY, false), broken));
        await.refused(RefusalReason.MALFORMED_KEY);
        assertEquals("kid \"broken\" is not a PKIX-encoded RSA, EC or Ed25519 public key (7 bytes)",
                publisher.view().status().refusals().last().orElseThrow().detail());
        assertEquals(List.of("k1"), publisher.view().served().keyIds());
    }

    @Test
    void refusesTheBundleOfAnotherTrustDomain() {
        server.setBundle("other.org", List.of(key(TestBundles.ec("k1"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        assertNull(publisher.view().served());
    }

    @Test
    void isDownWhileTheServerIsAbsentAndRecoversWhenItStarts() {
        source.start(TestSinks.of("example.org", publisher));
        await.state(SourceState.DOWN);
        assertTrue(publisher.view().status().source().lastError().orElseThrow().startsWith("UNAVAILABLE"), await.state());

        ECKey key = TestBundles.ec("k1");
        server.setBundle("example.org", List.of(key(key, NO_EXPIRY, false)));
        server.start();
        await.served("k1");
        assertEquals(SourceState.UP, publisher.view().status().source().state());

        server.stop();
        await.state(SourceState.DOWN);
        server.start();
        await.state(SourceState.UP);
    }

    @Test
    void pollsEachFederatedBundleForItsOwnPublisherAndReportsADeletedOneAsMissing() {
        BundlePublisher partner = TestPublishers.publisher("server-api", "partner.example", false);
        PublisherWaits partnerWaits = new PublisherWaits(partner, () -> "server calls " + server.calls());
        server.setBundle("example.org", List.of(key(TestBundles.ec("local"), NO_EXPIRY, false)));
        // The same kid in two trust domains is two different keys, published apart.
        server.setFederatedBundle("partner.example", List.of(key(TestBundles.ec("local"), NO_EXPIRY, false),
                key(TestBundles.ec("partner"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of(new TrustDomainSink("example.org", publisher, false),
                new TrustDomainSink("partner.example", partner, false)));
        await.served("local");
        partnerWaits.served("local", "partner");
        assertTrue(!new String(publisher.view().served().jwks().body(), java.nio.charset.StandardCharsets.UTF_8)
                .equals(new String(partner.view().served().jwks().body(), java.nio.charset.StandardCharsets.UTF_8)));

        server.setFederatedBundle("partner.example", null);
        partnerWaits.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        assertTrue(partner.view().status().presence().absentSince().isPresent(), partnerWaits.state());
        assertEquals(SourceState.UP, partner.view().status().source().state(), "NOT_FOUND is an answer, not an outage");
        assertEquals(0, publisher.view().status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING));

        server.setFederatedBundle("partner.example", List.of(key(TestBundles.ec("partner-2"), NO_EXPIRY, false)));
        partnerWaits.served("partner-2");
        assertTrue(partner.view().status().presence().absentSince().isEmpty());
    }

    @Test
    void takesTheSequenceAndRefreshHintFromTheServerAndRefusesARollbackUntilTheConnectionBreaks() {
        server.setBundle("example.org", List.of(key(TestBundles.ec("k1"), NO_EXPIRY, false)), 5, 90);
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");
        assertEquals(90, publisher.view().served().maxAgeSeconds());
        assertEquals(5, publisher.view().served().sequence().orElseThrow());

        server.setBundle("example.org", List.of(key(TestBundles.ec("k2"), NO_EXPIRY, false)), 4, 90);
        await.refused(RefusalReason.SEQUENCE_ROLLBACK);
        assertEquals(List.of("k1"), publisher.view().served().keyIds());

        server.stop();
        await.state(SourceState.DOWN);
        server.start();
        await.served("k2");
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK));
    }

    @Test
    void aKeyLeavesWhenItExpiresAlthoughTheServerNoLongerAnswers() {
        long expiresAt = Instant.now().plusSeconds(2).getEpochSecond();
        server.setBundle("example.org", List.of(key(TestBundles.ec("expiring"), expiresAt, false),
                key(TestBundles.ec("steady"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("expiring", "steady");

        server.stop();
        await.state(SourceState.DOWN);
        await.served("steady");
        assertTrue(Instant.now().getEpochSecond() >= expiresAt, "not withdrawn before its expiry");
        assertEquals(SourceState.DOWN, publisher.view().status().source().state());
    }

    @Test
    void servesNothingWhenEveryAuthorityIsTainted() {
        ECKey ec = TestBundles.ec("t-ec");
        JWK rsa = TestBundles.rsa("t-rsa");
        server.setBundle("example.org", List.of(key(ec, NO_EXPIRY, false), key(rsa, NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("t-ec", "t-rsa");

        server.setBundle("example.org", List.of(key(ec, NO_EXPIRY, true), key(rsa, NO_EXPIRY, true)));
        Await.until("nothing served", () -> publisher.view().served() == null, await::state);
        assertEquals("every JWT authority is tainted [t-ec, t-rsa]", publisher.view().status().withdrawal().map(Withdrawal::reason).orElseThrow());
        assertEquals(0, publisher.view().status().refusals().count(RefusalReason.EMPTY_KEY_SET));
    }

    @Test
    void theSameRefusalOnEveryPollCountsOnce() {
        server.setBundle("other.org", List.of(key(TestBundles.ec("k1"), NO_EXPIRY, false)));
        server.start();
        source.start(TestSinks.of("example.org", publisher));
        await.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        int calls = server.calls();
        Await.until("five more polls", () -> server.calls() >= calls + 5, await::state);
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING));
        assertTrue(publisher.view().status().refusals().latestRefused());

        server.setBundle("example.org", List.of(key(TestBundles.ec("k1"), NO_EXPIRY, false)));
        await.served("k1");
        assertFalse(publisher.view().status().refusals().latestRefused());
    }

    private static JWTKey key(JWK key, long expiresAt, boolean tainted) {
        return FakeSpireServer.jwtKey(key, expiresAt, tainted);
    }

}
