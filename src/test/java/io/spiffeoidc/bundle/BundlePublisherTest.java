package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.Await;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class BundlePublisherTest {

    private static final JWK RSA = TestBundles.rsa("rsa-1");
    private static final JWK EC = TestBundles.ec("ec-1", Curve.P_256);
    private static final JWK EC2 = TestBundles.ec("ec-2", Curve.P_384);

    private final MutableClock clock = new MutableClock();
    private final BundlePublisher publisher = new BundlePublisher("test", true, clock);

    private static byte[] bytes(String document) {
        return document.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void servesNothingBeforeTheFirstValidBundle() {
        assertNull(publisher.current());
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertNull(publisher.current());
        assertEquals(1, publisher.refusedCount(RefusalReason.EMPTY_KEY_SET));
    }

    @Test
    void aRefusedUpdateKeepsTheLastGoodKeySet() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
        PublishedBundle good = publisher.current();
        publisher.offerDocument(bytes(TestBundles.document(List.of(TestBundles.members(EC2)), null)));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        publisher.offerDocument(bytes("not json"));
        publisher.refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "no bundle for spiffe://x"));
        assertSame(good, publisher.current());
        assertEquals(List.of("ec-1", "rsa-1"), publisher.current().keyIds());
        assertEquals(1, publisher.refusedCount(RefusalReason.PRIVATE_KEY_MATERIAL));
        assertEquals(1, publisher.refusedCount(RefusalReason.EMPTY_KEY_SET));
        assertEquals(1, publisher.refusedCount(RefusalReason.INVALID_JSON));
        assertEquals(1, publisher.refusedCount(RefusalReason.TRUST_DOMAIN_MISSING));
        assertEquals(RefusalReason.TRUST_DOMAIN_MISSING, publisher.lastRefusal().orElseThrow().reason());
        assertEquals(1, publisher.appliedCount());
    }

    @Test
    void equalKeySetsGiveEqualBytesWhateverTheInputOrderOrFormat() {
        BundlePublisher other = new BundlePublisher("test", true, clock);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2)));
        other.offerDocument(bytes(TestBundles.spiffeBundle(7, EC2, RSA, EC)));
        assertArrayEquals(publisher.current().jwks().body(), other.current().jwks().body());
        assertEquals(publisher.current().jwks().etag(), other.current().jwks().etag());
        assertEquals(publisher.current().discovery("https://a", "https://a/keys").etag(),
                other.current().discovery("https://a", "https://a/keys").etag());
    }

    @Test
    void aNewKeySetChangesTheEntityTag() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        String before = publisher.current().jwks().etag();
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
        assertNotEquals(before, publisher.current().jwks().etag());
        assertEquals(2, publisher.appliedCount());
    }

    @Test
    void repeatedInputIsNeitherRecountedNorRepublished() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        PublishedBundle first = publisher.current();
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, RSA)));
        assertSame(first, publisher.current());
        assertEquals(1, publisher.appliedCount());
        publisher.offerDocument(bytes("garbage"));
        publisher.offerDocument(bytes("garbage"));
        assertEquals(1, publisher.refusedCount(RefusalReason.INVALID_JSON));
    }

    @Test
    void discoveryAdvertisesExactlyTheServedAlgorithms() {
        publisher.offerDocument(bytes(TestBundles.jwks(EC, EC2)));
        assertEquals(List.of("ES256", "ES384"), publisher.current().algorithms());
        String discovery = new String(publisher.current().discovery("https://issuer.example/td", "https://k.example/keys").body(),
                StandardCharsets.UTF_8);
        assertEquals("{\"issuer\":\"https://issuer.example/td\",\"jwks_uri\":\"https://k.example/keys\","
                + "\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"],"
                + "\"id_token_signing_alg_values_supported\":[\"ES256\",\"ES384\"]}", discovery);
    }

    @Test
    void discoveryListsDeclaredRsaAlgorithmsInAFixedOrder() {
        Map<String, Object> ps = TestBundles.members(TestBundles.rsa("a-ps").toPublicJWK());
        ps.put("alg", "PS256");
        Map<String, Object> rs = TestBundles.members(TestBundles.rsa("b-rs").toPublicJWK());
        rs.put("alg", "RS384");
        publisher.offerDocument(bytes(TestBundles.document(List.of(ps, rs, TestBundles.members(EC.toPublicJWK())), null)));
        assertEquals(List.of("RS384", "PS256", "ES256"), publisher.current().algorithms());
    }

    // ---- sequence rule ----

    @Test
    void aLowerSequenceOnTheSameConnectionIsRefusedAndLoggedOnce() {
        try (LogCapture log = LogCapture.of(BundlePublisher.class)) {
            publisher.sourceUp(false);
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
            PublishedBundle served = publisher.current();
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(5, RSA, EC)));
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(5, RSA, EC)));
            assertSame(served, publisher.current());
            assertEquals(1, publisher.refusedCount(RefusalReason.SEQUENCE_ROLLBACK));
            assertEquals("spiffe_sequence 5 is lower than 7, the sequence served on this connection",
                    publisher.lastRefusal().orElseThrow().detail());
            assertEquals(1, log.containing("refused (sequence-rollback)").size(), log.lines().toString());
        }
    }

    @Test
    void anEqualOrHigherSequenceIsAcceptedAndRaisesTheFloorEvenWithTheSameKeys() {
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(3, RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(3, RSA, EC)));
        assertEquals(List.of("ec-1", "rsa-1"), publisher.current().keyIds());
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(9, RSA, EC)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(8, RSA)));
        assertEquals(1, publisher.refusedCount(RefusalReason.SEQUENCE_ROLLBACK), "9 was served even though the keys stayed");
        assertEquals(List.of("ec-1", "rsa-1"), publisher.current().keyIds());
    }

    @Test
    void aNewConnectionStartsTheSequenceRuleAfresh() {
        publisher.sourceUp(true);
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, EC)));
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
        publisher.sourceDown("UNAVAILABLE: agent restarting");
        publisher.sourceUp(true);
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, EC)));
        assertEquals(List.of("ec-1"), publisher.current().keyIds(), "the same bytes are judged again on the new connection");
        assertEquals(1, publisher.refusedCount(RefusalReason.SEQUENCE_ROLLBACK));
    }

    @Test
    void bundlesWithoutSequenceAreNotCompared() {
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        assertEquals(List.of("ec-1"), publisher.current().keyIds());
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(6, RSA)));
        assertEquals(1, publisher.refusedCount(RefusalReason.SEQUENCE_ROLLBACK), "the floor stays 7");
    }

    @Test
    void theServerApiSequenceIsComparedToo() {
        publisher.offerAuthorities(List.of(authority(RSA, null, false)), OptionalLong.of(4), OptionalLong.empty());
        publisher.offerAuthorities(List.of(authority(EC, null, false)), OptionalLong.of(3), OptionalLong.empty());
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
        assertEquals(1, publisher.refusedCount(RefusalReason.SEQUENCE_ROLLBACK));
    }

    // ---- cache lifetime ----

    private static BundlePublisher withLifetime(CacheLifetime lifetime, MutableClock clock) {
        return new BundlePublisher("test", true, clock, new PublicationRules(lifetime, 100));
    }

    @Test
    void maxAgeFollowsTheRefreshHintWithinTheBounds() {
        BundlePublisher bounded = withLifetime(new CacheLifetime(Duration.ofSeconds(300), Duration.ofSeconds(60),
                Duration.ofSeconds(600)), clock);
        bounded.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertEquals("public, max-age=300", bounded.current().cacheControl().toString(), "no hint");
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(1, 120, RSA)));
        assertEquals("public, max-age=120", bounded.current().cacheControl().toString());
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(2, 5, RSA)));
        assertEquals(60, bounded.current().maxAgeSeconds(), "raised to the minimum");
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(3, 86400, RSA)));
        assertEquals(600, bounded.current().maxAgeSeconds(), "cut to the maximum");
        assertEquals(1, bounded.appliedCount(), "only the key set counts as applied");
    }

    @Test
    void maxAgeIsAFunctionOfTheBundleAndTheConfigurationOnly() {
        CacheLifetime lifetime = new CacheLifetime(Duration.ofSeconds(300), Duration.ofSeconds(60), Duration.ofSeconds(600));
        BundlePublisher first = withLifetime(lifetime, clock);
        MutableClock later = new MutableClock();
        later.advance(Duration.ofDays(3));
        BundlePublisher second = withLifetime(lifetime, later);
        first.offerDocument(bytes(TestBundles.spiffeBundle(4, 240, RSA, EC)));
        second.offerDocument(bytes(TestBundles.spiffeBundle(4, 240, EC, RSA)));
        assertEquals("public, max-age=240", first.current().cacheControl().toString());
        assertEquals(first.current().cacheControl().toString(), second.current().cacheControl().toString());
        assertEquals(first.current().jwks().etag(), second.current().jwks().etag());
    }

    // ---- key count guard ----

    @Test
    void warnsOnceWhenTheKeyCountCrossesTheThresholdAndOnceWhenItFallsBack() {
        BundlePublisher guarded = new BundlePublisher("test", true, clock, new PublicationRules(CacheLifetime.DEFAULT, 2));
        try (LogCapture log = LogCapture.of(BundlePublisher.class)) {
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
            assertFalse(guarded.overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2)));
            assertTrue(guarded.overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2, TestBundles.ec("ec-3", Curve.P_256))));
            assertTrue(guarded.overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA)));
            assertFalse(guarded.overKeyThreshold());
            List<String> warnings = log.containing("spiffe-oidc.keys-warn-threshold=2");
            assertEquals(2, warnings.size(), log.lines().toString());
            assertTrue(warnings.get(0).startsWith("WARN Serving 3 keys, more than spiffe-oidc.keys-warn-threshold=2"),
                    warnings.get(0));
            assertTrue(warnings.get(1).startsWith("INFO Serving 1 keys, back within"), warnings.get(1));
        }
    }

    @Test
    void publishedKeysNeverCarryPrivateParameters() {
        publisher.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, null, false)));
        String jwks = new String(publisher.current().jwks().body(), StandardCharsets.UTF_8);
        for (String member : List.of("\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "\"k\"")) {
            assertTrue(!jwks.contains(member), member);
        }
        publisher.offerDocument(bytes(TestBundles.document(List.of(TestBundles.members(RSA)), null)));
        assertEquals(1, publisher.refusedCount(RefusalReason.PRIVATE_KEY_MATERIAL));
    }

    @Test
    void aSourceStageRefusalCountsOncePerDistinctContentAndTheGaugeClearsOnAGoodBundle() {
        BundleRefusal otherDomain = new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "bundle is for \"other.org\"");
        for (int poll = 0; poll < 5; poll++) {
            publisher.refuse(otherDomain);
        }
        assertEquals(1, publisher.refusedCount(RefusalReason.TRUST_DOMAIN_MISSING));
        assertTrue(publisher.latestRefused());
        publisher.refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "bundle is for \"third.org\""));
        assertEquals(2, publisher.refusedCount(RefusalReason.TRUST_DOMAIN_MISSING), "new content counts again");

        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertFalse(publisher.latestRefused());
        byte[] tooLarge = new byte[BundleParser.MAX_DOCUMENT_BYTES + 1];
        for (int poll = 0; poll < 5; poll++) {
            publisher.offerDocument(tooLarge);
        }
        assertEquals(1, publisher.refusedCount(RefusalReason.TOO_LARGE));
        assertTrue(publisher.latestRefused());
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertFalse(publisher.latestRefused(), "the same good keys again clear it too");
        assertEquals(1, publisher.appliedCount());
    }

    @Test
    void aKeyLeavesTheServedSetWhenItsExpiryPasses() {
        Instant soon = clock.instant().plusSeconds(60);
        publisher.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, soon, false)));
        assertEquals(List.of("ec-1", "rsa-1"), publisher.current().keyIds());

        clock.advance(Duration.ofSeconds(59));
        publisher.expireDue();
        assertEquals(List.of("ec-1", "rsa-1"), publisher.current().keyIds(), "not before its time");
        clock.advance(Duration.ofSeconds(1));
        publisher.expireDue();
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
        assertFalse(new String(publisher.current().jwks().body(), StandardCharsets.UTF_8).contains("ec-1"));
    }

    @Test
    void whenEveryServedKeyExpiresNothingIsServed() {
        publisher.offerAuthorities(List.of(authority(EC, clock.instant().plusSeconds(5), false)));
        clock.advance(Duration.ofSeconds(5));
        publisher.expireDue();
        assertNull(publisher.current());
        assertEquals("every served key is expired [ec-1]", publisher.withdrawal().orElseThrow());

        publisher.offerAuthorities(List.of(authority(EC2, clock.instant().minusSeconds(1), false)));
        assertNull(publisher.current(), "a key that arrives expired is not served either");
        assertEquals("every JWT authority has expired [ec-2]", publisher.withdrawal().orElseThrow());
        publisher.offerAuthorities(List.of(authority(RSA, null, false)));
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
        assertTrue(publisher.withdrawal().isEmpty());
    }

    @Test
    void theExpiryTimerRepublishesByItself() {
        BundlePublisher real = new BundlePublisher("timer", true, Clock.systemUTC());
        real.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, Instant.now().plusMillis(300), false)));
        assertEquals(List.of("ec-1", "rsa-1"), real.current().keyIds());
        Await.until("ec-1 expired", () -> real.current().keyIds().equals(List.of("rsa-1")));
    }

    @Test
    void whenEveryAuthorityIsTaintedNothingIsServed() {
        publisher.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, null, false)));
        publisher.offerAuthorities(List.of(authority(RSA, null, true), authority(EC, null, true)));
        assertNull(publisher.current());
        assertEquals("every JWT authority is tainted [ec-1, rsa-1]", publisher.withdrawal().orElseThrow());
        assertFalse(publisher.latestRefused(), "a taint is not a refused bundle");
        assertEquals(0, publisher.refusedCount(RefusalReason.EMPTY_KEY_SET));

        publisher.offerAuthorities(List.of(authority(RSA, null, true), authority(EC2, null, false)));
        assertEquals(List.of("ec-2"), publisher.current().keyIds());
    }

    @Test
    void aTaintHoldsEvenWhenTheRestOfTheBundleIsRefused() {
        publisher.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, null, false)));
        JwtAuthority broken = new JwtAuthority("broken", new byte[] {1, 2, 3}, Optional.empty(), false);
        publisher.offerAuthorities(List.of(authority(RSA, null, false), authority(EC, null, true), broken));
        assertEquals(1, publisher.refusedCount(RefusalReason.MALFORMED_KEY));
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
    }

    static JwtAuthority authority(JWK key, Instant expiresAt, boolean tainted) {
        return new JwtAuthority(key.getKeyID(), TestBundles.pkixDer(key), Optional.ofNullable(expiresAt), tainted);
    }

    @Test
    void syncAgeGrowsWhilePollingAndStaysZeroWhileAStreamIsUp() {
        publisher.sourceUp(false);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofSeconds(30));
        assertEquals(Duration.ofSeconds(30), publisher.syncAge().orElseThrow());
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertEquals(Duration.ZERO, publisher.syncAge().orElseThrow());

        BundlePublisher streamed = new BundlePublisher("stream", true, clock);
        streamed.sourceUp(true);
        streamed.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofMinutes(10));
        assertEquals(Duration.ZERO, streamed.syncAge().orElseThrow());
        streamed.sourceDown("UNAVAILABLE: agent restarting");
        assertEquals(SourceState.DOWN, streamed.sourceState());
        clock.advance(Duration.ofSeconds(7));
        assertEquals(Duration.ofSeconds(7), streamed.syncAge().orElseThrow());
        assertEquals("UNAVAILABLE: agent restarting", streamed.lastSourceError().orElseThrow());
    }

    @Test
    void aRefusedUpdateStillCountsAsContactWithTheSource() {
        publisher.sourceUp(false);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofMinutes(10));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertEquals(Duration.ZERO, publisher.syncAge().orElseThrow());
        clock.advance(Duration.ofMinutes(10));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertEquals(Duration.ZERO, publisher.syncAge().orElseThrow(), "a repeated refusal is contact too");
        assertEquals(List.of("rsa-1"), publisher.current().keyIds());
        assertEquals(1, publisher.refusedCount(RefusalReason.EMPTY_KEY_SET));
    }

    @Test
    void refusalDetailNamesTheKey() {
        Map<String, Object> entry = TestBundles.members(RSA);
        publisher.offerDocument(bytes(TestBundles.document(List.of(entry), null)));
        assertEquals("kid \"rsa-1\" carries private parameter \"d\"", publisher.lastRefusal().orElseThrow().detail());
    }

    @Test
    void aTrustDomainMissingFromTheSourceIsServedUntilTheGracePeriodEndsAndComesBackWithItsBundle() {
        Duration grace = Duration.ofMinutes(10);
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        PublishedBundle good = publisher.served();

        publisher.absent("the agent sent no bundle for spiffe://example.org");
        clock.advance(grace.minusSeconds(1));
        publisher.withdrawIfAbsentFor(grace);
        assertSame(good, publisher.served(), "still inside the grace period");
        assertEquals(1, publisher.refusedCount(RefusalReason.TRUST_DOMAIN_MISSING));

        publisher.absent("the agent sent no bundle for spiffe://example.org");
        clock.advance(Duration.ofSeconds(1));
        publisher.withdrawIfAbsentFor(grace);
        assertNull(publisher.served(), "the grace period runs from the first absence, not the latest");
        assertTrue(publisher.withdrawn());
        assertSame(good, publisher.current(), "the last good keys are kept, only no longer served");

        publisher.offerDocument(bytes("not json"));
        assertNull(publisher.served(), "a refused bundle does not bring the trust domain back");
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        assertSame(good, publisher.served());
        assertTrue(publisher.absentSince().isEmpty());
        assertTrue(!publisher.withdrawn());
    }

    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
