package io.spiffeoidc.bundle;

/**
 * What HTTP and ops see of one trust domain's publication: the served snapshot and one status record, both
 * immutable and replaced whole by the publisher. Reading either is one volatile read, so the request path
 * takes no lock and copies nothing.
 */
public final class PublishedView {

    private final String trustDomain;
    private final String source;
    private volatile PublishedBundle served;
    private volatile PublisherStatus status;

    PublishedView(PublisherSpec spec, PublisherStatus initial) {
        this.trustDomain = spec.trustDomain();
        this.source = spec.source();
        this.status = initial;
    }

    /** The snapshot to answer requests with; null before the first valid bundle and while a withdrawal is in force. */
    public PublishedBundle served() {
        return served;
    }

    public PublisherStatus status() {
        return status;
    }

    /** The trust domain named in logs and metric tags; empty for a service that publishes one. */
    public String trustDomain() {
        return trustDomain;
    }

    /** The key source's name in health data and metric tags. */
    public String source() {
        return source;
    }

    /**
     * A reader that sees no keys must also see why (never "no keys yet" for a withdrawal), and one that sees
     * keys should not find a status that still says none are served.
     */
    void show(PublishedBundle next, PublisherStatus nextStatus) {
        if (next == null) {
            status = nextStatus;
            served = null;
        } else {
            served = next;
            status = nextStatus;
        }
    }
}
