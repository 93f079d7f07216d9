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
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
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

    private static final Duration GRACE = Duration.ofMinutes(10);

    private final MutableClock clock = new MutableClock();
    private final BundlePublisher publisher = new BundlePublisher(new PublisherSpec("test", "", true, false,
            PublicationRules.DEFAULT, GRACE, clock));

    private PublishedBundle served() {
        return publisher.view().served();
    }

    private PublisherStatus status() {
        return publisher.view().status();
    }

    /** JWT authorities as the server API hands them over, without X.509 authorities. */
    private static AuthorityBundle jwtOnly(List<JwtAuthority> authorities) {
        return jwtOnly(authorities, OptionalLong.empty(), OptionalLong.empty());
    }

    private static AuthorityBundle jwtOnly(List<JwtAuthority> authorities, OptionalLong sequence, OptionalLong refreshHint) {
        return new AuthorityBundle(authorities, Optional.empty(), sequence, refreshHint);
    }

    private static byte[] bytes(String document) {
        return document.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void servesNothingBeforeTheFirstValidBundle() {
        assertNull(served());
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertNull(served());
        assertEquals(1, status().refusals().count(RefusalReason.EMPTY_KEY_SET));
    }

    @Test
    void aRefusedUpdateKeepsTheLastGoodKeySet() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
        PublishedBundle good = served();
        publisher.offerDocument(bytes(TestBundles.document(List.of(TestBundles.members(EC2)), null)));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        publisher.offerDocument(bytes("not json"));
        publisher.refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "no bundle for spiffe://x"));
        assertSame(good, served());
        assertEquals(List.of("ec-1", "rsa-1"), served().keyIds());
        assertEquals(1, status().refusals().count(RefusalReason.PRIVATE_KEY_MATERIAL));
        assertEquals(1, status().refusals().count(RefusalReason.EMPTY_KEY_SET));
        assertEquals(1, status().refusals().count(RefusalReason.INVALID_JSON));
        assertEquals(1, status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING));
        assertEquals(RefusalReason.TRUST_DOMAIN_MISSING, status().refusals().last().orElseThrow().reason());
        assertEquals(1, status().applied());
    }

    @Test
    void equalKeySetsGiveEqualBytesWhateverTheInputOrderOrFormat() {
        BundlePublisher other = TestPublishers.publisher("test", clock);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2)));
        other.offerDocument(bytes(TestBundles.spiffeBundle(7, EC2, RSA, EC)));
        assertArrayEquals(served().jwks().body(), other.view().served().jwks().body());
        assertEquals(served().jwks().etag(), other.view().served().jwks().etag());
        assertEquals(served().discovery("https://a", "https://a/keys").etag(),
                other.view().served().discovery("https://a", "https://a/keys").etag());
    }

    @Test
    void aNewKeySetChangesTheEntityTag() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        String before = served().jwks().etag();
        publisher.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
        assertNotEquals(before, served().jwks().etag());
        assertEquals(2, status().applied());
    }

    @Test
    void repeatedInputIsNeitherRecountedNorRepublished() {
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        PublishedBundle first = served();
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, RSA)));
        assertSame(first, served());
        assertEquals(1, status().applied());
        publisher.offerDocument(bytes("garbage"));
        publisher.offerDocument(bytes("garbage"));
        assertEquals(1, status().refusals().count(RefusalReason.INVALID_JSON));
    }

    @Test
    void discoveryAdvertisesExactlyTheServedAlgorithms() {
        publisher.offerDocument(bytes(TestBundles.jwks(EC, EC2)));
        assertEquals(List.of("ES256", "ES384"), served().algorithms());
        String discovery = new String(served().discovery("https://issuer.example/td", "https://k.example/keys").body(),
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
        assertEquals(List.of("RS384", "PS256", "ES256"), served().algorithms());
    }

    // ---- sequence rule ----

    @Test
    void aLowerSequenceOnTheSameConnectionIsRefusedAndLoggedOnce() {
        try (LogCapture log = LogCapture.of(BundlePublisher.class)) {
            publisher.sourceUp(false);
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
            PublishedBundle served = served();
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(5, RSA, EC)));
            publisher.offerDocument(bytes(TestBundles.spiffeBundle(5, RSA, EC)));
            assertSame(served, served());
            assertEquals(1, status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK));
            assertEquals("spiffe_sequence 5 is lower than 7, the sequence served on this connection",
                    status().refusals().last().orElseThrow().detail());
            assertEquals(1, log.containing("refused (sequence-rollback)").size(), log.lines().toString());
        }
    }

    @Test
    void anEqualOrHigherSequenceIsAcceptedAndRaisesTheFloorEvenWithTheSameKeys() {
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(3, RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(3, RSA, EC)));
        assertEquals(List.of("ec-1", "rsa-1"), served().keyIds());
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(9, RSA, EC)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(8, RSA)));
        assertEquals(1, status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK), "9 was served even though the keys stayed");
        assertEquals(List.of("ec-1", "rsa-1"), served().keyIds());
    }

    @Test
    void aNewConnectionStartsTheSequenceRuleAfresh() {
        publisher.sourceUp(true);
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, EC)));
        assertEquals(List.of("rsa-1"), served().keyIds());
        publisher.sourceDown("UNAVAILABLE: agent restarting");
        publisher.sourceUp(true);
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(2, EC)));
        assertEquals(List.of("ec-1"), served().keyIds(), "the same bytes are judged again on the new connection");
        assertEquals(1, status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK));
    }

    @Test
    void bundlesWithoutSequenceAreNotCompared() {
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(7, RSA)));
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        assertEquals(List.of("ec-1"), served().keyIds());
        publisher.offerDocument(bytes(TestBundles.spiffeBundle(6, RSA)));
        assertEquals(1, status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK), "the floor stays 7");
    }

    @Test
    void theServerApiSequenceIsComparedToo() {
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false)), OptionalLong.of(4), OptionalLong.empty()));
        publisher.offerAuthorities(jwtOnly(List.of(authority(EC, null, false)), OptionalLong.of(3), OptionalLong.empty()));
        assertEquals(List.of("rsa-1"), served().keyIds());
        assertEquals(1, status().refusals().count(RefusalReason.SEQUENCE_ROLLBACK));
    }

    // ---- cache lifetime ----

    private static BundlePublisher withLifetime(CacheLifetime lifetime, MutableClock clock) {
        return new BundlePublisher(TestPublishers.spec("test", "", false, new PublicationRules(lifetime, 100), clock));
    }

    @Test
    void maxAgeFollowsTheRefreshHintWithinTheBounds() {
        BundlePublisher bounded = withLifetime(new CacheLifetime(Duration.ofSeconds(300), Duration.ofSeconds(60),
                Duration.ofSeconds(600)), clock);
        bounded.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertEquals("public, max-age=300", bounded.view().served().cacheControl().toString(), "no hint");
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(1, 120, RSA)));
        assertEquals("public, max-age=120", bounded.view().served().cacheControl().toString());
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(2, 5, RSA)));
        assertEquals(60, bounded.view().served().maxAgeSeconds(), "raised to the minimum");
        bounded.offerDocument(bytes(TestBundles.spiffeBundle(3, 86400, RSA)));
        assertEquals(600, bounded.view().served().maxAgeSeconds(), "cut to the maximum");
        assertEquals(1, bounded.view().status().applied(), "only the key set counts as applied");
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
        assertEquals("public, max-age=240", first.view().served().cacheControl().toString());
        assertEquals(first.view().served().cacheControl().toString(), second.view().served().cacheControl().toString());
        assertEquals(first.view().served().jwks().etag(), second.view().served().jwks().etag());
    }

    // ---- key count guard ----

    @Test
    void warnsOnceWhenTheKeyCountCrossesTheThresholdAndOnceWhenItFallsBack() {
        BundlePublisher guarded = new BundlePublisher(TestPublishers.spec("test", "", false,
                new PublicationRules(CacheLifetime.DEFAULT, 2), clock));
        try (LogCapture log = LogCapture.of(BundlePublisher.class)) {
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC)));
            assertFalse(guarded.view().status().overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2)));
            assertTrue(guarded.view().status().overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA, EC, EC2, TestBundles.ec("ec-3", Curve.P_256))));
            assertTrue(guarded.view().status().overKeyThreshold());
            guarded.offerDocument(bytes(TestBundles.jwks(RSA)));
            assertFalse(guarded.view().status().overKeyThreshold());
            List<String> warnings = log.containing("spiffe-oidc.keys-warn-threshold=2");
            assertEquals(2, warnings.size(), log.lines().toString());
            assertTrue(warnings.get(0).startsWith("WARN Serving 3 keys, more than spiffe-oidc.keys-warn-threshold=2"),
                    warnings.get(0));
            assertTrue(warnings.get(1).startsWith("INFO Serving 1 keys, back within"), warnings.get(1));
        }
    }

    @Test
    void publishedKeysNeverCarryPrivateParameters() {
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, null, false))));
        String jwks = new String(served().jwks().body(), StandardCharsets.UTF_8);
        for (String member : List.of("\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\"", "\"k\"")) {
            assertTrue(!jwks.contains(member), member);
        }
        publisher.offerDocument(bytes(TestBundles.document(List.of(TestBundles.members(RSA)), null)));
        assertEquals(1, status().refusals().count(RefusalReason.PRIVATE_KEY_MATERIAL));
    }

    @Test
    void aSourceStageRefusalCountsOncePerDistinctContentAndTheGaugeClearsOnAGoodBundle() {
        BundleRefusal otherDomain = new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "bundle is for \"other.org\"");
        for (int poll = 0; poll < 5; poll++) {
            publisher.refuse(otherDomain);
        }
        assertEquals(1, status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING));
        assertTrue(status().refusals().latestRefused());
        publisher.refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, "bundle is for \"third.org\""));
        assertEquals(2, status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING), "new content counts again");

        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertFalse(status().refusals().latestRefused());
        byte[] tooLarge = new byte[BundleParser.MAX_DOCUMENT_BYTES + 1];
        for (int poll = 0; poll < 5; poll++) {
            publisher.offerDocument(tooLarge);
        }
        assertEquals(1, status().refusals().count(RefusalReason.TOO_LARGE));
        assertTrue(status().refusals().latestRefused());
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertFalse(status().refusals().latestRefused(), "the same good keys again clear it too");
        assertEquals(1, status().applied());
    }

    @Test
    void aKeyLeavesTheServedSetWhenItsExpiryPasses() {
        Instant soon = clock.instant().plusSeconds(60);
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, soon, false))));
        assertEquals(List.of("ec-1", "rsa-1"), served().keyIds());

        clock.advance(Duration.ofSeconds(59));
        publisher.expireDue();
        assertEquals(List.of("ec-1", "rsa-1"), served().keyIds(), "not before its time");
        clock.advance(Duration.ofSeconds(1));
        publisher.expireDue();
        assertEquals(List.of("rsa-1"), served().keyIds());
        assertFalse(new String(served().jwks().body(), StandardCharsets.UTF_8).contains("ec-1"));
    }

    @Test
    void whenEveryServedKeyExpiresNothingIsServed() {
        publisher.offerAuthorities(jwtOnly(List.of(authority(EC, clock.instant().plusSeconds(5), false))));
        clock.advance(Duration.ofSeconds(5));
        publisher.expireDue();
        assertNull(served());
        assertEquals("every served key is expired [ec-1]", status().withdrawal().map(Withdrawal::reason).orElseThrow());

        publisher.offerAuthorities(jwtOnly(List.of(authority(EC2, clock.instant().minusSeconds(1), false))));
        assertNull(served(), "a key that arrives expired is not served either");
        assertEquals("every JWT authority has expired [ec-2]", status().withdrawal().map(Withdrawal::reason).orElseThrow());
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false))));
        assertEquals(List.of("rsa-1"), served().keyIds());
        assertTrue(status().withdrawal().map(Withdrawal::reason).isEmpty());
    }

    @Test
    void theExpiryTimerRepublishesByItself() {
        BundlePublisher real = TestPublishers.publisher("timer", Clock.systemUTC());
        real.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, Instant.now().plusMillis(300), false))));
        assertEquals(List.of("ec-1", "rsa-1"), real.view().served().keyIds());
        Await.until("ec-1 expired", () -> real.view().served().keyIds().equals(List.of("rsa-1")));
    }

    @Test
    void whenEveryAuthorityIsTaintedNothingIsServed() {
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, null, false))));
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, true), authority(EC, null, true))));
        assertNull(served());
        assertEquals("every JWT authority is tainted [ec-1, rsa-1]", status().withdrawal().map(Withdrawal::reason).orElseThrow());
        assertFalse(status().refusals().latestRefused(), "a taint is not a refused bundle");
        assertEquals(0, status().refusals().count(RefusalReason.EMPTY_KEY_SET));

        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, true), authority(EC2, null, false))));
        assertEquals(List.of("ec-2"), served().keyIds());
    }

    @Test
    void aTaintHoldsEvenWhenTheRestOfTheBundleIsRefused() {
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, null, false))));
        JwtAuthority broken = new JwtAuthority("broken", new byte[] {1, 2, 3}, Optional.empty(), false);
        publisher.offerAuthorities(jwtOnly(List.of(authority(RSA, null, false), authority(EC, null, true), broken)));
        assertEquals(1, status().refusals().count(RefusalReason.MALFORMED_KEY));
        assertEquals(List.of("rsa-1"), served().keyIds());
    }

    static JwtAuthority authority(JWK key, Instant expiresAt, boolean tainted) {
        return new JwtAuthority(key.getKeyID(), TestBundles.pkixDer(key), Optional.ofNullable(expiresAt), tainted);
    }

    @Test
    void syncAgeGrowsWhilePollingAndStaysZeroWhileAStreamIsUp() {
        publisher.sourceUp(false);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofSeconds(30));
        assertEquals(Duration.ofSeconds(30), status().syncAge().orElseThrow());
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        assertEquals(Duration.ZERO, status().syncAge().orElseThrow());

        BundlePublisher streamed = TestPublishers.publisher("stream", clock);
        streamed.sourceUp(true);
        streamed.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofMinutes(10));
        assertEquals(Duration.ZERO, streamed.view().status().syncAge().orElseThrow());
        streamed.sourceDown("UNAVAILABLE: agent restarting");
        assertEquals(SourceState.DOWN, streamed.view().status().source().state());
        clock.advance(Duration.ofSeconds(7));
        assertEquals(Duration.ofSeconds(7), streamed.view().status().syncAge().orElseThrow());
        assertEquals("UNAVAILABLE: agent restarting", streamed.view().status().source().lastError().orElseThrow());
    }

    @Test
    void aRefusedUpdateStillCountsAsContactWithTheSource() {
        publisher.sourceUp(false);
        publisher.offerDocument(bytes(TestBundles.jwks(RSA)));
        clock.advance(Duration.ofMinutes(10));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertEquals(Duration.ZERO, status().syncAge().orElseThrow());
        clock.advance(Duration.ofMinutes(10));
        publisher.offerDocument(bytes("{\"keys\":[]}"));
        assertEquals(Duration.ZERO, status().syncAge().orElseThrow(), "a repeated refusal is contact too");
        assertEquals(List.of("rsa-1"), served().keyIds());
        assertEquals(1, status().refusals().count(RefusalReason.EMPTY_KEY_SET));
    }

    @Test
    void refusalDetailNamesTheKey() {
        Map<String, Object> entry = TestBundles.members(RSA);
        publisher.offerDocument(bytes(TestBundles.document(List.of(entry), null)));
        assertEquals("kid \"rsa-1\" carries private parameter \"d\"", status().refusals().last().orElseThrow().detail());
    }

    @Test
    void aTrustDomainMissingFromTheSourceIsServedUntilTheGracePeriodEndsAndComesBackWithItsBundle() {
        Duration grace = GRACE;
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        PublishedBundle good = served();

        publisher.absent("the agent sent no bundle for spiffe://example.org");
        clock.advance(grace.minusSeconds(1));
        publisher.withdrawIfAbsentPastGrace();
        assertSame(good, served(), "still inside the grace period");
        assertEquals(1, status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING));

        publisher.absent("the agent sent no bundle for spiffe://example.org");
        clock.advance(Duration.ofSeconds(1));
        publisher.withdrawIfAbsentPastGrace();
        assertNull(served(), "the grace period runs from the first absence, not the latest");
        assertTrue(status().presence().withdrawn());

        publisher.offerDocument(bytes("not json"));
        assertNull(served(), "a refused bundle does not bring the trust domain back");
        publisher.offerDocument(bytes(TestBundles.jwks(EC)));
        assertSame(good, served(), "the last good keys are kept, only no longer served");
        assertTrue(status().presence().absentSince().isEmpty());
        assertTrue(!status().presence().withdrawn());
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
