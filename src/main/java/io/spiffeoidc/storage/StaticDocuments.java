package io.spiffeoidc.storage;

import io.spiffeoidc.bundle.PreparedDocument;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.Target;
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
 * @param discovery empty while keys are withdrawn
 * @param bundle    the SPIFFE bundle, when the target publishes it and the snapshot has one
 */
record StaticDocuments(Document jwks, Optional<Document> discovery, Optional<Document> bundle, OptionalLong sequence,
        String cacheControl, List<String> keyIds) {

    private static final PreparedDocument NO_KEYS = PreparedDocument.of("{\"keys\":[]}");
    /** Relying parties should look again soon while nothing can be verified. */
    private static final String NO_KEYS_CACHE_CONTROL = "public, max-age=60";

    /**
     * One document's bytes with their digest, taken from the prepared document: the same as the listener's
     * ETag without quotes, so nothing is hashed again.
     */
    record Document(byte[] body, String digest) {

        static Document of(PreparedDocument prepared) {
            return new Document(prepared.body(), StaticDocuments.digest(prepared));
        }
    }

    /** The documents for what {@code view} serves now; empty before the first key set. */
    static Optional<StaticDocuments> of(PublishedView view, Target target) {
        PublishedBundle served = view.served();
        if (served != null) {
            Optional<Document> bundle = target.bundleObject().isPresent() && served.spiffeBundle() != null
                    ? Optional.of(Document.of(served.spiffeBundle()))
                    : Optional.empty();
            return Optional.of(new StaticDocuments(Document.of(served.jwks()),
                    Optional.of(Document.of(served.discovery(target.issuerUrl(), target.jwksUri()))), bundle,
                    served.sequence(), served.cacheControl().toString(), served.keyIds()));
        }
        if (!withdrawn(view)) {
            return Optional.empty();
        }
        Optional<Document> bundle = target.bundleObject().map(name -> Document.of(NO_KEYS));
        return Optional.of(new StaticDocuments(Document.of(NO_KEYS), Optional.empty(), bundle, OptionalLong.empty(),
                NO_KEYS_CACHE_CONTROL, List.of()));
    }

    /** The JWKS digest of what {@code view} serves now, or empty before the first key set: no bytes copied. */
    static Optional<String> currentDigest(PublishedView view) {
        PublishedBundle served = view.served();
        if (served != null) {
            return Optional.of(digest(served.jwks()));
        }
        return withdrawn(view) ? Optional.of(digest(NO_KEYS)) : Optional.empty();
    }

    private static boolean withdrawn(PublishedView view) {
        return view.status().withdrawal().isPresent() || view.status().presence().withdrawn();
    }

    private static String digest(PreparedDocument document) {
        String etag = document.etag();
        return etag.substring(1, etag.length() - 1);
    }

    String describeKeys() {
        return keyIds.isEmpty() ? "no keys (every key withdrawn)" : "key set " + keyIds;
    }
}
