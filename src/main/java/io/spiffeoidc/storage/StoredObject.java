package io.spiffeoidc.storage;

import java.util.Map;

/**
 * One object as read back from a store.
 *
 * @param etag     the store's entity tag of this version, as the store spells it (quotes included where it
 *                 sends them); only ever handed back to the same store in a precondition
 * @param metadata the user metadata, names in lower case without the store's prefix (x-amz-meta-, x-ms-meta-)
 */
public record StoredObject(byte[] body, String etag, Map<String, String> metadata) {

    public StoredObject {
        metadata = Map.copyOf(metadata);
    }
}
