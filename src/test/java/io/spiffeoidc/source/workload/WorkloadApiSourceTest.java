package io.spiffeoidc.source.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.source.UnixSocketChannels;
import io.spiffeoidc.source.workload.proto.JWTBundlesRequest;
import io.spiffeoidc.source.workload.proto.SpiffeWorkloadAPIGrpc;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeWorkloadApi;
import io.spiffeoidc.testsupport.ForwardingSink;
import io.spiffeoidc.testsupport.PublisherWaits;
import io.spiffeoidc.testsupport.RecordingSink;
import io.spiffeoidc.testsupport.SpiffeBundleReader;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestPublishers;
import io.spiffeoidc.testsupport.TestSinks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadApiSourceTest {

    private static final String TRUST_DOMAIN = "spiffe://example.org";
    /** Short deadline and backoff so failure paths take milliseconds; the production values are seconds. */
    private static final WorkloadApiSource.Timings FAST = new WorkloadApiSource.Timings(Duration.ofMillis(300),
            Duration.ofSeconds(330), Duration.ofSeconds(20), Duration.ofMillis(20), Duration.ofMillis(200));

    @TempDir
    Path dir;

    private FakeWorkloadApi agent;
    private BundlePublisher publisher;
    private PublisherWaits await;
    private WorkloadApiSource source;

    @BeforeEach
    void setUp() {
        agent = new FakeWorkloadApi(dir.resolve("agent.sock"));
        publisher = TestPublishers.publisher("workload-api", Clock.systemUTC());
        await = new PublisherWaits(publisher, () -> "agent calls " + agent.calls());
        source = new WorkloadApiSource(dir.resolve("agent.sock"), FAST);
    }

    @AfterEach
    void tearDown() {
        source.close();
        agent.close();
    }

    @Test
    void servesTheFirstBundleAndEachPushedRotation() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");
        assertEquals(SourceState.UP, publisher.view().status().source().state());

        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1"), TestBundles.ec("k2")));
        await.served("k1", "k2");
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        await.served("k2");
        assertEquals(1, agent.calls(), "one stream carries every update");
    }

    @Test
    void theX509StreamOpensOnlyWhenAskedForAndItsOutageNeverReachesTheJwtSide() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.setX509BundleOf(TRUST_DOMAIN, io.spiffeoidc.testsupport.TestPki.concatenated(
                io.spiffeoidc.testsupport.TestPki.authority("example.org CA")));
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");
        assertEquals(0, agent.x509Calls(), "no bundle endpoint, no X.509 stream");
        source.close();

        BundlePublisher withEndpoint = TestPublishers.publisher("workload-api", "", true);
        source = new WorkloadApiSource(dir.resolve("agent.sock"), FAST);
        source.start(TestSinks.withX509("example.org", withEndpoint));
        Await.until("the bundle document", () -> withEndpoint.view().served() != null && withEndpoint.view().served().spiffeBundle() != null);
        int jwtCalls = agent.calls();
        agent.breakX509("broken for the test");
        Await.until("X.509 calls retried", () -> agent.x509Calls() >= 4);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        Await.until("the rotation", () -> withEndpoint.view().served().keyIds().equals(List.of("k2")));
        assertEquals(jwtCalls, agent.calls(), "the JWT stream stayed open");
        assertEquals(SourceState.UP, withEndpoint.view().status().source().state());
        assertTrue(withEndpoint.view().status().source().lastError().isEmpty(), "an X.509 outage is not the source being down");
        assertTrue(withEndpoint.view().served().spiffeBundle() != null, "the last good X.509 authorities stay");
    }

    @Test
    void anX509MessageCarryingACrlStillDeliversItsBundles() throws Exception {
        X509Certificate ca = TestPki.authority("example.org CA");
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.setX509Crls(List.of(TestPki.crl("example.org CA").getEncoded()));
        agent.setX509BundleOf(TRUST_DOMAIN, TestPki.concatenated(ca));
        agent.start();
        BundlePublisher withEndpoint = TestPublishers.publisher("workload-api", "", true);
        source.start(TestSinks.withX509("example.org", withEndpoint));
        Await.until("the bundle document", () -> withEndpoint.view().served() != null && withEndpoint.view().served().spiffeBundle() != null);
        assertEquals(Set.of(ca), x509Authorities(withEndpoint));

        // Every later message carries the CRL too; a rotation still arrives whole.
        X509Certificate next = TestPki.authority("example.org CA next");
        agent.setX509BundleOf(TRUST_DOMAIN, TestPki.concatenated(ca, next));
        Await.until("the rotated authorities", () -> x509Authorities(withEndpoint).equals(Set.of(ca, next)));
        assertEquals(1, agent.x509Calls(), "one X.509 stream carried both messages");
    }

    private static Set<X509Certificate> x509Authorities(BundlePublisher publisher) {
        try {
            return SpiffeBundleReader.read("example.org", publisher.view().served().spiffeBundle().body()).x509().getX509Authorities();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void isNotReadyWhileTheAgentIsAbsentAndServesOnceItAppears() {
        source.start(TestSinks.of("example.org", publisher));
        await.state(SourceState.DOWN);
        assertTrue(publisher.view().status().source().lastError().orElseThrow().startsWith("UNAVAILABLE"), await.state());
        assertNull(publisher.view().served());

        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        await.served("k1");
        assertEquals(SourceState.UP, publisher.view().status().source().state());
    }

    @Test
    void recoversWhenTheAgentRestartsOnTheSamePath() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");

        agent.stop();
        await.state(SourceState.DOWN);
        assertEquals(List.of("k1"), publisher.view().served().keyIds(), "the last good keys stay served");

        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        agent.start();
        await.served("k2");
        assertEquals(SourceState.UP, publisher.view().status().source().state());
    }

    @Test
    void detectsAnAgentThatAcceptsTheCallButNeverAnswersAndRetries() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.stall();
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        Await.until("a second call after the first-message deadline", () -> agent.calls() >= 2, await::state);
        assertEquals(SourceState.DOWN, publisher.view().status().source().state());
        assertTrue(publisher.view().status().source().lastError().orElseThrow().startsWith("DEADLINE_EXCEEDED"), await.state());

        agent.allow();
        await.served("k1");
    }

    @Test
    void waitsThroughPermissionDeniedUntilTheRegistrationExists() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.deny();
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        Await.until("denied and retried", () -> agent.calls() >= 2 && publisher.view().status().source().state() == SourceState.DOWN, await::state);
        assertEquals("PERMISSION_DENIED: no identity issued", publisher.view().status().source().lastError().orElseThrow());
        assertNull(publisher.view().served());

        agent.allow();
        await.served("k1");
    }

    @Test
    void refusesUnusableUpdatesAndKeepsServingTheLastGoodKeys() {
        ECKey good = TestBundles.ec("k1");
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(good));
        agent.start();
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");

        agent.setBundles(Map.of("spiffe://other.org", bytes(TestBundles.jwks(TestBundles.ec("k2")))));
        await.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        agent.setBundles(Map.of(TRUST_DOMAIN, new byte[] {0, (byte) 0xff, '{'}));
        await.refused(RefusalReason.INVALID_JSON);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwksWithPrivateParts(TestBundles.rsa("leaked")));
        await.refused(RefusalReason.PRIVATE_KEY_MATERIAL);
        assertEquals(List.of("k1"), publisher.view().served().keyIds());
        assertEquals(1, agent.calls(), "a refused bundle is not a stream failure");

        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k3")));
        await.served("k3");
    }

    @Test
    void anExceptionWhileOpeningTheStreamIsReportedAndRetried() {
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        AtomicInteger attempts = new AtomicInteger();
        source.close();
        source = new WorkloadApiSource(dir.resolve("agent.sock"), FAST, builder -> {
            if (attempts.incrementAndGet() <= 2) {
                throw new IllegalStateException("injected failure opening the channel");
            }
            return builder.build();
        });
        source.start(TestSinks.of("example.org", publisher));
        await.served("k1");
        assertEquals(3, attempts.get());
        assertEquals("the bundle stream could not be opened: java.lang.IllegalStateException: injected failure opening the channel",
                publisher.view().status().source().lastError().orElseThrow());
    }

    @Test
    void anExceptionWhileHandlingTheEndOfTheStreamDoesNotEndReconnection() {
        ForwardingSink sink = new ForwardingSink(publisher);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        source.start(TestSinks.of("example.org", sink));
        await.served("k1");

        sink.failNextSourceDown();
        agent.stop();
        Await.until("the stream's end reported", () -> sink.downs() >= 2, await::state);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        agent.start();
        await.served("k2");
    }

    @Test
    void servesTheAgentsKeysWithinASecondOfItsSocketReappearingAfterALongOutage() {
        // Every backoff step is 2.5-5 s: without the watch, the keys would come back seconds late.
        WorkloadApiSource.Timings slowBackoff = new WorkloadApiSource.Timings(Duration.ofSeconds(10),
                Duration.ofSeconds(330), Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(5));
        source.close();
        source = new WorkloadApiSource(dir.resolve("agent.sock"), slowBackoff);
        ForwardingSink sink = new ForwardingSink(publisher);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        source.start(TestSinks.of("example.org", sink));
        await.served("k1");

        agent.stop();
        long outageStart = System.nanoTime();
        await.state(SourceState.DOWN);
        // Outlast the backoff cap, and come back just after a failed retry, when the next one is furthest away.
        Await.until("a failed retry after more than the backoff cap", () -> sink.downs() >= 2
                && System.nanoTime() - outageStart > Duration.ofSeconds(5).toNanos(), await::state);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        long back = System.nanoTime();
        agent.start();
        await.served("k2");
        long millis = Duration.ofNanos(System.nanoTime() - back).toMillis();
        assertTrue(millis < 1000, "served " + millis + " ms after the socket reappeared");
    }

    @Test
    void theFakeAgentRefusesCallsWithoutTheSecurityHeaderLikeSpire() {
        agent.start();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (UnixSocketChannels channels = new UnixSocketChannels("test-io")) {
            ManagedChannel channel = channels.builder(dir.resolve("agent.sock"), executor).build();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> SpiffeWorkloadAPIGrpc
                    .newBlockingStub(channel).fetchJWTBundles(JWTBundlesRequest.getDefaultInstance()).hasNext());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertEquals("security header missing from request", e.getStatus().getDescription());
            channel.shutdownNow();
        } finally {
            executor.shutdownNow();
        }
        assertEquals(0, agent.calls());
    }

    @Test
    void deliversNothingAfterCloseAndStopsItsThreads() {
        Set<Thread> before = sourceThreads();
        RecordingSink sink = new RecordingSink();
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k1")));
        agent.start();
        source.start(TestSinks.of("example.org", sink));
        Await.until("first document", () -> sink.documents() == 1, sink::toString);

        source.close();
        int events = sink.events();
        Await.until("the agent sees the stream end", () -> agent.openStreams() == 0);
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("k2")));
        agent.stop();
        assertEquals(events, sink.events(), sink.toString());
        Await.until("worker and event-loop threads end", () -> before.containsAll(sourceThreads()),
                () -> sourceThreads().toString());
    }

    private static Set<Thread> sourceThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("workload-api-"))
                .collect(Collectors.toSet());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void oneStreamFeedsEachTrustDomainItsOwnEntryAndAMissingOneTouchesNoOther() {
        BundlePublisher partner = TestPublishers.publisher("workload-api", "partner.example", false);
        PublisherWaits partnerWaits = new PublisherWaits(partner, () -> "agent calls " + agent.calls());
        agent.setBundles(Map.of(
                TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("local-1")).getBytes(StandardCharsets.UTF_8),
                "spiffe://partner.example", TestBundles.jwks(TestBundles.ec("partner-1")).getBytes(StandardCharsets.UTF_8)));
        agent.start();
        source.start(TestSinks.of(new TrustDomainSink("example.org", publisher, false),
                new TrustDomainSink("partner.example", partner, false)));
        await.served("local-1");
        partnerWaits.served("partner-1");

        agent.setBundleOf("spiffe://partner.example", new byte[] {'{'});
        partnerWaits.refused(RefusalReason.INVALID_JSON);
        agent.removeBundleOf("spiffe://partner.example");
        partnerWaits.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        assertTrue(partner.view().status().presence().absentSince().isPresent(), partnerWaits.state());
        assertEquals(List.of("partner-1"), partner.view().served().keyIds(), "the last good keys stay served in the grace period");

        agent.setBundleOf(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("local-2")).getBytes(StandardCharsets.UTF_8));
        await.served("local-2");
        assertEquals(0,
                publisher.view().status().refusals().count(RefusalReason.INVALID_JSON)
                        + publisher.view().status().refusals().count(RefusalReason.TRUST_DOMAIN_MISSING),
                "nothing of the partner's trouble reached the primary trust domain");
        assertEquals(1, agent.calls(), "one stream serves every trust domain");
    }

    @Test
    void aFederatedTrustDomainTheAgentDoesNotCarryIsAbsentNotDownWhileTheStreamIsUp() {
        BundlePublisher partner = TestPublishers.publisher("workload-api", "partner.example", false);
        PublisherWaits partnerWaits = new PublisherWaits(partner, () -> "agent calls " + agent.calls());
        agent.setBundle(TRUST_DOMAIN, TestBundles.jwks(TestBundles.ec("local-1")));
        agent.start();
        source.start(TestSinks.of(new TrustDomainSink("example.org", publisher, false),
                new TrustDomainSink("partner.example", partner, false)));
        await.served("local-1");
        partnerWaits.refused(RefusalReason.TRUST_DOMAIN_MISSING);
        assertEquals(SourceState.UP, partner.view().status().source().state(), "the stream is up: an absence, not an outage; " + partnerWaits.state());
        assertTrue(partner.view().status().presence().absentSince().isPresent(), partnerWaits.state());

        // After the agent restarts, the trust domain it still does not carry is up again with the stream.
        agent.stop();
        partnerWaits.state(SourceState.DOWN);
        agent.start();
        await.state(SourceState.UP);
        partnerWaits.state(SourceState.UP);
        assertTrue(partner.view().status().presence().absentSince().isPresent(), partnerWaits.state());
    }
}
