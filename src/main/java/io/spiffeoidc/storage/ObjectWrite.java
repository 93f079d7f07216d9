package io.spiffeoidc.storage;

import java.util.Map;

/**
 * One object to write, with the headers a relying party reading it from the store will receive.
 *
 * @param metadata user metadata: names in lower-case letters, values in US-ASCII, so that every store
 *                 carries them unchanged
 */
public record ObjectWrite(byte[] body, String contentType, String cacheControl, Map<String, String> metadata) {

    public ObjectWrite {
        metadata = Map.copyOf(metadata);
    }
}
