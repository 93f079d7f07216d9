package io.spiffeoidc.bundle;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

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
        for (Runnable listener : changeListeners) {
            listener.run();
        }
    }

    /**
     * Runs {@code listener} after every change, on the publisher's thread and while it holds its lock, so a
     * listener sees each snapshot in the order served and must only hand the news on: no I/O, no waiting.
     */
    public void onChange(Runnable listener) {
        changeListeners.add(listener);
    }
}
