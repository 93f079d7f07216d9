package io.spiffeoidc.bundle;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Response bytes with their strong entity tag. The tag is a digest of the bytes, so every replica that
 * serves the same keys hands out the same tag and caches keep working across a load balancer.
 */
public record PreparedDocument(byte[] body, String etag) {

    public static PreparedDocument of(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return new PreparedDocument(body, "\"" + digest(body) + "\"");
    }

    private static String digest(byte[] body) {
        try {
            byte[] sha256 = MessageDigest.getInstance("SHA-256").digest(body);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sha256);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
