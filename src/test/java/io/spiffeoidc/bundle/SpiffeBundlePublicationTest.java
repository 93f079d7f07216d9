package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.spiffeoidc.testsupport.LogCapture;
import io.spiffeoidc.testsupport.SpiffeBundleReader;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPki;
import io.spiffeoidc.testsupport.TestPublishers;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The SPIFFE bundle document: prepared from the validated snapshot, X.509 authorities judged apart from JWT keys. */
class SpiffeBundlePublicationTest {

    private static final X509Certificate CA_1 = TestPki.authority("example.org CA 1");
    private static final X509Certificate CA_2 = TestPki.authority("example.org CA 2");
    private static final ECKey JWT_1 = TestBundles.ec("jwt-1");
    private static final RSAKey JWT_2 = TestBundles.rsa("jwt-2");

    private static BundlePublisher publisher() {
        return TestPublishers.publisher("test", "example.org", true);
    }

    /** JWT authorities as the server API hands them over, without X.509 authorities. */
    private static AuthorityBundle jwtOnly(List<JwtAuthority> authorities) {
        return jwtOnly(authorities, OptionalLong.empty(), OptionalLong.empty());
    }

    private static AuthorityBundle jwtOnly(List<JwtAuthority> authorities, OptionalLong sequence, OptionalLong refreshHint) {
        return new AuthorityBundle(authorities, Optional.empty(), sequence, refreshHint);
    }

    private static List<JwtAuthority> authorities(com.nimbusds.jose.jwk.JWK... keys) {
        List<JwtAuthority> list = new ArrayList<>();
        for (var key : keys) {
            list.add(new JwtAuthority(key.getKeyID(), TestBundles.pkixDer(key), Optional.empty(), false));
        }
        return list;
    }

    @Test
    void theDocumentReadsBackWithJavaSpiffeAsTheSameAuthorities() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerX509Authorities(List.of(TestPki.concatenated(CA_1, CA_2)));
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1, JWT_2), OptionalLong.of(7), OptionalLong.of(300)));

        PreparedDocument document = publisher.view().served().spiffeBundle();
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", document.body());
        assertEquals(Set.of(CA_1, CA_2), read.x509().getX509Authorities());
        assertEquals(Set.of("jwt-1", "jwt-2"), read.jwt().getJwtAuthorities().keySet());
        assertEquals(JWT_1.toPublicKey(), read.jwt().findJwtAuthority("jwt-1"));
        assertEquals(JWT_2.toPublicKey(), read.jwt().findJwtAuthority("jwt-2"));
        assertEquals(7L, ((Number) read.root().get("spiffe_sequence")).longValue());
        assertEquals(300L, ((Number) read.root().get("spiffe_refresh_hint")).longValue());
        for (Map<String, Object> member : read.members()) {
            Set<String> allowed = "x509-svid".equals(member.get("use"))
                    ? Set.of("kty", "crv", "x", "y", "use", "x5c")
                    : Set.of("kty", "crv", "x", "y", "n", "e", "use", "kid");
            assertTrue(allowed.containsAll(member.keySet()), "public members only: " + member.keySet());
        }
        assertEquals(Set.of("keys", "spiffe_sequence", "spiffe_refresh_hint"), read.root().keySet());
    }

    @Test
    void jwtKeysAreServedBeforeAnyX509AuthorityArrivesAndTheBundleWaitsForThem() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerDocument(TestBundles.jwks(JWT_1).getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("jwt-1"), publisher.view().served().keyIds());
        assertNull(publisher.view().served().spiffeBundle(), "no bundle without its X.509 authorities");
        String jwksEtag = publisher.view().served().jwks().etag();

        publisher.offerX509Authorities(List.of(TestPki.der(CA_1)));
        assertNotNull(publisher.view().served().spiffeBundle());
        assertEquals(jwksEtag, publisher.view().served().jwks().etag(), "X.509 changes leave the key set's bytes alone");
        // The agent's JWT bundles are plain JWK sets: a rotation keeps the known X.509 authorities.
        publisher.offerDocument(TestBundles.jwks(JWT_2).getBytes(StandardCharsets.UTF_8));
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", publisher.view().served().spiffeBundle().body());
        assertEquals(Set.of(CA_1), read.x509().getX509Authorities());
        assertEquals(Set.of("jwt-2"), read.jwt().getJwtAuthorities().keySet());
    }

    @Test
    void aNonCaOrGarbageAuthorityIsRefusedOnceAndTheLastGoodOnesStay() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1)));
        publisher.offerX509Authorities(List.of(TestPki.der(CA_1)));
        String bundleEtag = publisher.view().served().spiffeBundle().etag();
        String jwksEtag = publisher.view().served().jwks().etag();
        try (LogCapture log = LogCapture.of(BundlePublisher.class)) {
            publisher.offerX509Authorities(List.of(TestPki.der(TestPki.selfSignedLeaf("not a CA"))));
            publisher.offerX509Authorities(List.of(TestPki.der(TestPki.selfSignedLeaf("not a CA either"))));
            publisher.offerX509Authorities(List.of(new byte[] {0x30, 0x03, 1, 2}));
            publisher.offerX509Authorities(List.of(new byte[] {0x30, 0x03, 1, 2}));
            List<String> refusals = log.containing("refused");
            assertEquals(3, refusals.size(), refusals.toString());
            assertTrue(refusals.get(0).contains("(x509-authority-not-ca)") && refusals.get(0).contains("CN=not a CA"), refusals.get(0));
            assertTrue(refusals.get(2).contains("(invalid-x509-authority)"), refusals.get(2));
            assertTrue(refusals.get(2).contains("still serving [CN=example.org CA 1,O=SPIFFE]"), refusals.get(2));
        }
        assertEquals(2, publisher.view().status().refusals().count(RefusalReason.X509_AUTHORITY_NOT_CA));
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.INVALID_X509_AUTHORITY));
        assertEquals(bundleEtag, publisher.view().served().spiffeBundle().etag());
        assertEquals(jwksEtag, publisher.view().served().jwks().etag());
        assertEquals(List.of("jwt-1"), publisher.view().served().keyIds());
        // A PEM block is a certificate to the JDK's factory, but not what the Workload API sends.
        publisher.offerX509Authorities(List.of(TestPki.pem(CA_2).getBytes(StandardCharsets.US_ASCII)));
        assertEquals(2, publisher.view().status().refusals().count(RefusalReason.INVALID_X509_AUTHORITY));
        assertEquals(bundleEtag, publisher.view().served().spiffeBundle().etag());
    }

    @Test
    void twoReplicasGivenTheSameBundleInAnyOrderServeTheSameBytes() {
        BundlePublisher one = publisher();
        one.offerX509Authorities(List.of(TestPki.concatenated(CA_1, CA_2)));
        one.offerAuthorities(jwtOnly(authorities(JWT_1, JWT_2), OptionalLong.of(3), OptionalLong.empty()));
        BundlePublisher other = publisher();
        other.offerAuthorities(jwtOnly(authorities(JWT_2, JWT_1), OptionalLong.of(3), OptionalLong.empty()));
        other.offerX509Authorities(List.of(TestPki.der(CA_2), TestPki.der(CA_1), TestPki.der(CA_2)));
        assertEquals(one.view().served().spiffeBundle().etag(), other.view().served().spiffeBundle().etag());
        assertEquals(new String(one.view().served().spiffeBundle().body(), StandardCharsets.UTF_8),
                new String(other.view().served().spiffeBundle().body(), StandardCharsets.UTF_8));
    }

    @Test
    void aNewSequenceNumberWithTheSameJwtKeysReachesTheBundle() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerX509Authorities(List.of(TestPki.der(CA_1)));
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1), OptionalLong.of(4), OptionalLong.empty()));
        String jwksEtag = publisher.view().served().jwks().etag();
        publisher.offerX509Authorities(List.of(TestPki.concatenated(CA_1, CA_2)));
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1), OptionalLong.of(5), OptionalLong.empty()));
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", publisher.view().served().spiffeBundle().body());
        assertEquals(5L, ((Number) read.root().get("spiffe_sequence")).longValue());
        assertEquals(2, read.x509().getX509Authorities().size());
        assertEquals(jwksEtag, publisher.view().served().jwks().etag());
    }

    @Test
    void aPublisherWithoutBundleEndpointTakesNoX509Authorities() {
        BundlePublisher publisher = TestPublishers.publisher("test", "example.org", false);
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1)));
        publisher.offerX509Authorities(List.of(TestPki.der(CA_1)));
        publisher.offerX509Authorities(List.of(new byte[] {1}));
        assertNull(publisher.view().served().spiffeBundle());
        assertEquals(0, publisher.view().status().refusals().count(RefusalReason.INVALID_X509_AUTHORITY));
    }

    @Test
    void aBundleFileBringsItsX509SvidMembersEachCheckedAgainstItsCertificate() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerDocument(file(TestPki.member(CA_1)));
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", publisher.view().served().spiffeBundle().body());
        assertEquals(Set.of(CA_1), read.x509().getX509Authorities());
        String bundleEtag = publisher.view().served().spiffeBundle().etag();

        Map<String, Object> leaf = TestPki.member(TestPki.selfSignedLeaf("file leaf"));
        publisher.offerDocument(file(leaf));
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.X509_AUTHORITY_NOT_CA));

        Map<String, Object> twoCertificates = TestPki.member(CA_1);
        twoCertificates.put("x5c", List.of(TestPki.member(CA_1).get("x5c"), TestPki.member(CA_2).get("x5c")));
        publisher.offerDocument(file(twoCertificates));
        Map<String, Object> otherKey = TestPki.member(CA_1);
        otherKey.put("x", TestPki.member(CA_2).get("x"));
        otherKey.put("y", TestPki.member(CA_2).get("y"));
        publisher.offerDocument(file(otherKey));
        assertEquals(2, publisher.view().status().refusals().count(RefusalReason.INVALID_X509_AUTHORITY));
        assertEquals(bundleEtag, publisher.view().served().spiffeBundle().etag(), "the last good X.509 authorities stay");
        assertEquals(List.of("jwt-1"), publisher.view().served().keyIds(), "the JWT side of each file was applied");
    }

    @Test
    void aFileWithPrivateMaterialInAnX509MemberIsRefusedAsAWhole() {
        BundlePublisher publisher = publisher();
        Map<String, Object> leaky = TestPki.member(CA_1);
        leaky.put("d", "AAAA");
        publisher.offerDocument(file(leaky));
        assertNull(publisher.view().served());
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.PRIVATE_KEY_MATERIAL));
        publisher.offerDocument(TestBundles.jwks(JWT_1).getBytes(StandardCharsets.UTF_8));
        assertNull(publisher.view().served().spiffeBundle(), "no X.509 authorities taken from the refused file");
    }

    @Test
    void differentAuthoritiesGiveADifferentEntityTag() {
        BundlePublisher publisher = publisher();
        publisher.offerAuthorities(jwtOnly(authorities(JWT_1)));
        publisher.offerX509Authorities(List.of(TestPki.der(CA_1)));
        String first = publisher.view().served().spiffeBundle().etag();
        publisher.offerX509Authorities(List.of(TestPki.der(CA_2)));
        assertNotEquals(first, publisher.view().served().spiffeBundle().etag());
    }

    @Test
    void aServerBundleRefusedOnItsJwtSideBringsNoX509AuthoritiesEither() throws Exception {
        BundlePublisher publisher = publisher();
        publisher.offerAuthorities(new AuthorityBundle(authorities(JWT_1), Optional.of(List.of(TestPki.der(CA_1))),
                OptionalLong.of(4), OptionalLong.empty()));
        String bundleEtag = publisher.view().served().spiffeBundle().etag();
        JwtAuthority broken = new JwtAuthority("broken", new byte[] {1, 2, 3}, Optional.empty(), false);
        publisher.offerAuthorities(new AuthorityBundle(List.of(broken), Optional.of(List.of(TestPki.der(CA_2))),
                OptionalLong.of(5), OptionalLong.empty()));
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.MALFORMED_KEY));
        assertEquals(bundleEtag, publisher.view().served().spiffeBundle().etag(), "a refused update changes nothing served");

        publisher.offerAuthorities(new AuthorityBundle(authorities(JWT_1), Optional.of(List.of(TestPki.der(CA_2))),
                OptionalLong.of(6), OptionalLong.empty()));
        SpiffeBundleReader.Read read = SpiffeBundleReader.read("example.org", publisher.view().served().spiffeBundle().body());
        assertEquals(Set.of(CA_2), read.x509().getX509Authorities(), "judged with the next good candidate");
        assertEquals(6L, ((Number) read.root().get("spiffe_sequence")).longValue());
    }

    @Test
    void aReaderNeverSeesOneCandidatesSequenceWithAnotherCandidatesX509Authorities() throws Exception {
        BundlePublisher publisher = publisher();
        PublishedView view = publisher.view();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> mixed = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (!done.get() && mixed.get() == null) {
                PublishedBundle bundle = view.served();
                if (bundle != null && bundle.x509() != null) {
                    long sequence = bundle.sequence().orElseThrow();
                    List<String> subjects = bundle.x509().subjects();
                    if (!subjects.equals(List.of(subject(sequence % 2 == 0 ? CA_1 : CA_2)))) {
                        mixed.set("sequence " + sequence + " served with " + subjects);
                    }
                }
            }
        }, "snapshot-reader");
        reader.start();
        // Every candidate brings its own X.509 authorities: CA 1 with an even sequence, CA 2 with an odd one.
        for (long sequence = 2; sequence < 202 && mixed.get() == null; sequence++) {
            X509Certificate ca = sequence % 2 == 0 ? CA_1 : CA_2;
            if (sequence % 4 < 2) {
                publisher.offerDocument(file(TestPki.member(ca), sequence));
            } else {
                publisher.offerAuthorities(new AuthorityBundle(authorities(JWT_1), Optional.of(List.of(TestPki.der(ca))),
                        OptionalLong.of(sequence), OptionalLong.empty()));
            }
        }
        done.set(true);
        reader.join();
        assertNull(mixed.get());
        assertEquals(201L, view.served().sequence().orElseThrow());
    }

    private static String subject(X509Certificate certificate) {
        return certificate.getSubjectX500Principal().getName();
    }

    private static byte[] file(Map<String, Object> x509Member) {
        return file(x509Member, 1);
    }

    private static byte[] file(Map<String, Object> x509Member, long sequence) {
        Map<String, Object> jwt = new HashMap<>(JWT_1.toPublicJWK().toJSONObject());
        jwt.put("use", "jwt-svid");
        return TestBundles.document(List.of(x509Member, jwt), sequence).getBytes(StandardCharsets.UTF_8);
    }
}
