package io.spiffeoidc.storage;

import io.spiffeoidc.config.Target;
import java.util.Map;
import java.util.Optional;

/** A real store the static-issuer scenarios run against, and how a relying party reads from it. */
interface StoreFixture {

    /** The settings a target is configured with. */
    Target.Store settings();

    /** What a relying party fetches for one object name: empty while there is none. */
    Optional<Fetched> fetch(String object) throws Exception;

    /** The prefix of metadata in {@link Fetched#headers()}: x-amz-meta-, x-ms-meta-. */
    String metadataPrefix();

    /** Makes the store unreachable, keeping its data. */
    void stopStore() throws Exception;

    /** Brings it back with the data it had. */
    void startStore() throws Exception;

    /**
     * One object as fetched.
     *
     * @param headers response headers by lower-case name (for a directory: the metadata the store keeps,
     *                as x-meta-name)
     */
    record Fetched(byte[] body, Map<String, String> headers) {

        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name));
        }
    }
}
