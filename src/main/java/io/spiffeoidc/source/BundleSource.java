package io.spiffeoidc.source;

/**
 * A producer of candidate bundles. Implementations only fetch and hand over what they receive, and say
 * whether they can reach their origin; validation and publication belong to the sinks.
 */
public interface BundleSource extends AutoCloseable {

    /** Short name for logs and health data, e.g. "file /etc/bundle.json". */
    String describe();

    /**
     * Starts delivering each trust domain's candidates to its own sink, on the source's own threads;
     * returns without blocking.
     */
    void start(TrustDomainSinks sinks);

    /** Stops all threads and connections; no call reaches a sink afterwards. */
    @Override
    void close();
}
