package io.spiffeoidc.source.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.nimbusds.jose.jwk.ECKey;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.source.TrustDomainSink;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.FakeSpireServer;
import io.spiffeoidc.testsupport.SpiffeBundleReader;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestPublishers;
import io.spiffeoidc.testsupport.TestSinks;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * X.509 authorities over real gRPC from the fake SPIRE server, which clears what the output mask leaves
 * out as SPIRE does: asked for only where a bundle endpoint is on, with the sequence number and refresh hint.
 */
class ServerApiX509AuthoritiesTest {

    @TempDir
    Path dir;

    private final X509Certificate primaryCa = TestPki.authority("example.org CA");
    private final X509Certificate partnerCa = TestPki.authority("partner.example CA");
    private final ECKey primaryKey = TestBundles.ec("primary");
    private final ECKey partnerKey = TestBundles.ec("partner");

    private FakeSpireServer server;
    private ServerApiSource source;
    private BundlePublisher primary;
    private BundlePublisher partner;
    private BundlePublisher unlisted;

    @BeforeEach
    void setUp() {
        server = new FakeSpireServer(dir.resolve("api.sock"));
        server.setBundle("example.org", List.of(FakeSpireServer.jwtKey(primaryKey, 0, false)), 12, 240);
        server.setX509Authorities(List.of(TestPki.der(primaryCa)));
        server.setFederatedBundle("partner.example", List.of(FakeSpireServer.jwtKey(partnerKey, 0, false)),
                List.of(TestPki.der(partnerCa)));
        server.setFederatedBundle("unlisted.example", List.of(FakeSpireServer.jwtKey(partnerKey, 0, false)),
                List.of(TestPki.der(partnerCa)));
        server.start();
        primary = publisher("example.org", true);
        partner = publisher("partner.example", true);
        unlisted = publisher("unlisted.example", false);
        source = new ServerApiSource(dir.resolve("api.sock"), Duration.ofMillis(100));
        source.start(TestSinks.of(new TrustDomainSink("example.org", primary, true),
                new TrustDomainSink("partner.example", partner, true), new TrustDomainSink("unlisted.example", unlisted, false)));
    }

    @AfterEach
    void tearDown() {
        source.close();
        server.close();
    }

    private static BundlePublisher publisher(String trustDomain, boolean bundleEndpoint) {
        return TestPublishers.publisher("server-api", trustDomain, bundleEndpoint);
    }

    @Test
    void theBundleAndFederatedBundlesCarryTheirX509AuthoritiesSequenceAndHint() throws Exception {
        Await.until("both bundles", () -> primary.view().served() != null && primary.view().served().spiffeBundle() != null
                && partner.view().served() != null && partner.view().served().spiffeBundle() != null);
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", primary.view().served().spiffeBundle().body());
        assertEquals(Set.of(primaryCa), read.x509().getX509Authorities());
        assertEquals(Set.of("primary"), read.jwt().getJwtAuthorities().keySet());
        assertEquals(12L, ((Number) read.root().get("spiffe_sequence")).longValue(), "asked for in the mask");
        assertEquals(240L, ((Number) read.root().get("spiffe_refresh_hint")).longValue());
        assertEquals(Set.of(partnerCa), SpiffeBundleReader.read("partner.example", partner.view().served().spiffeBundle().body())
                .x509().getX509Authorities());

        Await.until("unlisted published", () -> unlisted.view().served() != null);
        assertNull(unlisted.view().served().spiffeBundle(), "no bundle endpoint, no X.509 authorities");
    }

    @Test
    void aNonCaAuthorityFromTheServerIsRefusedOnceWhileTheJwtKeysRotate() throws Exception {
        Await.until("the bundle", () -> primary.view().served() != null && primary.view().served().spiffeBundle() != null);
        String etag = primary.view().served().spiffeBundle().etag();
        server.setX509Authorities(List.of(TestPki.der(TestPki.selfSignedLeaf("not a CA"))));
        server.setBundle("example.org", List.of(FakeSpireServer.jwtKey(TestBundles.ec("rotated"), 0, false)), 13, 240);
        Await.until("the rotation", () -> primary.view().served().keyIds().equals(List.of("rotated")));
        int calls = server.calls();
        Await.until("a few more polls", () -> server.calls() >= calls + 6);
        assertEquals(1, primary.view().status().refusals().count(RefusalReason.X509_AUTHORITY_NOT_CA), "a repeated refusal counts once");
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", primary.view().served().spiffeBundle().body());
        assertEquals(Set.of(primaryCa), read.x509().getX509Authorities(), "the last good authorities stay");
        assertEquals(Set.of("rotated"), read.jwt().getJwtAuthorities().keySet());
        assertEquals(13L, ((Number) read.root().get("spiffe_sequence")).longValue());
        assertEquals(false, etag.equals(primary.view().served().spiffeBundle().etag()));
    }
}
