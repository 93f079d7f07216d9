package io.spiffeoidc.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** The one digest of the service (ETags, candidate identities, certificate file fingerprints): SHA-256. */
public final class Sha256 {

    private Sha256() {
    }

    /** A new SHA-256 digest; every Java runtime has one. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    public static byte[] of(byte[] bytes) {
        return digest().digest(bytes);
    }

    /** The digest in unpadded base64url: the listener's ETags and the stores' document digests. */
    public static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(of(bytes));
    }
}
