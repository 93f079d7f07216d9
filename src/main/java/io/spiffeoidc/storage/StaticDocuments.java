package io.spiffeoidc.storage;

import io.spiffeoidc.bundle.PreparedDocument;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.Target;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one target should hold for one served snapshot: the prepared bytes the public listener serves for
 * the configured issuer URL, never anything built apart from them. While every key is withdrawn (tainted,
 * expired, or the trust domain absent past its grace period) the key set and the SPIFFE bundle are empty:
 * the listener answers 503 then, and an empty set is how a static file says the same; the discovery
 * document stays as it was.
 *
 * @param jwksDigest the JWKS bytes' digest, the same as the listener's ETag without quotes
 * @param discovery  empty while keys are withdrawn
 * @param bundle     the SPIFFE bundle, when the target publishes it and the snapshot has one
 */
record StaticDocuments(byte[] jwks, String jwksDigest, Optional<byte[]> discovery, Optional<byte[]> bundle,
        OptionalLong sequence, String cacheControl, List<String> keyIds) {

    private static final PreparedDocument NO_KEYS = PreparedDocument.of("{\"keys\":[]}");
    /** Relying parties should look again soon while nothing can be verified. */
    private static final String NO_KEYS_CACHE_CONTROL = "public, max-age=60";

    /** The documents for what {@code view} serves now; empty before the first key set. */
    static Optional<StaticDocuments> of(PublishedView view, Target target) {
        PublishedBundle served = view.served();
        if (served != null) {
            PreparedDocument jwks = served.jwks();
            Optional<byte[]> bundle = target.bundleObject().isPresent() && served.spiffeBundle() != null
                    ? Optional.of(served.spiffeBundle().body())
                    : Optional.empty();
            return Optional.of(new StaticDocuments(jwks.body(), digest(jwks),
                    Optional.of(served.discovery(target.issuerUrl(), target.jwksUri()).body()), bundle, served.sequence(),
                    served.cacheControl().toString(), served.keyIds()));
        }
        boolean withdrawn = view.status().withdrawal().isPresent() || view.status().presence().withdrawn();
        if (!withdrawn) {
            return Optional.empty();
        }
        Optional<byte[]> bundle = target.bundleObject().map(name -> NO_KEYS.body());
        return Optional.of(new StaticDocuments(NO_KEYS.body(), digest(NO_KEYS), Optional.empty(), bundle,
                OptionalLong.empty(), NO_KEYS_CACHE_CONTROL, List.of()));
    }

    /** The digest of what {@code view} serves now, or empty before the first key set: cheap, no bytes copied. */
    static Optional<String> currentDigest(PublishedView view) {
        PublishedBundle served = view.served();
        if (served != null) {
            return Optional.of(digest(served.jwks()));
        }
        boolean withdrawn = view.status().withdrawal().isPresent() || view.status().presence().withdrawn();
        return withdrawn ? Optional.of(digest(NO_KEYS)) : Optional.empty();
    }

    private static String digest(PreparedDocument document) {
        String etag = document.etag();
        return etag.substring(1, etag.length() - 1);
    }

    String describeKeys() {
        return keyIds.isEmpty() ? "no keys (every key withdrawn)" : "key set " + keyIds;
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
