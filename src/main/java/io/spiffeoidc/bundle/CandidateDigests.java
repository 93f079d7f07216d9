package io.spiffeoidc.bundle;

import io.spiffeoidc.crypto.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * Digests of the latest candidates, so that a source may re-offer the same content on every poll without it
 * being judged, counted or logged again. Not thread-safe: the publisher's lock guards it.
 */
final class CandidateDigests {

    // The latest candidate, whatever stage judged it.
    private byte[] candidate;
    // The latest X.509 authorities judged apart from a document: offered alone or beside the JWT authorities.
    private byte[] x509;

    /** Whether {@code digest} differs from the latest candidate's; it becomes the latest either way. */
    boolean newCandidate(byte[] digest) {
        if (candidate != null && Arrays.equals(candidate, digest)) {
            return false;
        }
        candidate = digest;
        return true;
    }

    boolean newX509(byte[] digest) {
        if (x509 != null && Arrays.equals(x509, digest)) {
            return false;
        }
        x509 = digest;
        return true;
    }

    /** A new connection to the source may re-offer what was refused on the last one. */
    void forgetCandidate() {
        candidate = null;
    }

    static byte[] ofDocument(byte[] document) {
        return Sha256.digest().digest(document);
    }

    static byte[] ofRefusal(BundleRefusal refusal) {
        return ofDocument(("refusal\n" + refusal.reason().label() + "\n" + refusal.detail()).getBytes(StandardCharsets.UTF_8));
    }

    static byte[] ofAuthorities(AuthorityBundle bundle) {
        MessageDigest sha = Sha256.digest();
        sha.update(ByteBuffer.allocate(Long.BYTES * 2).putLong(bundle.sequence().orElse(Long.MIN_VALUE))
                .putLong(bundle.refreshHint().orElse(Long.MIN_VALUE)).array());
        for (JwtAuthority authority : bundle.jwtAuthorities()) {
            byte[] kid = authority.keyId().getBytes(StandardCharsets.UTF_8);
            byte[] der = authority.publicKey();
            sha.update(ByteBuffer.allocate(Integer.BYTES * 2 + Long.BYTES + 1)
                    .putInt(kid.length).putInt(der.length)
                    .putLong(authority.expiresAt().map(Instant::getEpochSecond).orElse(Long.MIN_VALUE))
                    .put((byte) (authority.tainted() ? 1 : 0))
                    .array());
            sha.update(kid);
            sha.update(der);
        }
        sha.update((byte) (bundle.x509Authorities().isPresent() ? 1 : 0));
        bundle.x509Authorities().ifPresent(certificates -> update(sha, certificates));
        return sha.digest();
    }

    static byte[] ofX509(List<byte[]> certificates) {
        MessageDigest sha = Sha256.digest();
        update(sha, certificates);
        return sha.digest();
    }

    private static void update(MessageDigest sha, List<byte[]> blobs) {
        for (byte[] blob : blobs) {
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(blob.length).array());
            sha.update(blob);
        }
    }
}
