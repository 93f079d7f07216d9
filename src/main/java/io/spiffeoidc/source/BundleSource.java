package io.spiffeoidc.source;

import io.spiffeoidc.bundle.BundleSink;

/**
 * A producer of candidate bundles. Implementations only fetch and hand over what they receive, and say
 * whether they can reach their origin; validation and publication belong to the sink.
 */
public interface BundleSource extends AutoCloseable {

    /** Short name for logs and health data, e.g. "file /etc/bundle.json". */
    String describe();

    /** Starts delivering to {@code sink} on the source's own threads; returns without blocking. */
    void start(BundleSink sink);

    /** Stops all threads and connections; no call reaches the sink afterwards. */
    @Override
    void close();
}
