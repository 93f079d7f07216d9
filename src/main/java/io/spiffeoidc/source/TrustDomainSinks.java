package io.spiffeoidc.source;

import java.util.ArrayList;
import java.util.List;

/**
 * Every trust domain one source serves, the primary first, each with a sink of its own: a source reports
 * to each trust domain on its own, so one trust domain's refusal or absence never touches another's keys.
 * The sinks are {@link ClosableSink}s, so that {@link #close()} silences all of them for good and nothing
 * reaches a publisher after its source has closed.
 */
public final class TrustDomainSinks {

    private final List<TrustDomainSink> all;
    private final List<ClosableSink> closable;

    /** @param trustDomains the primary first; never empty */
    public TrustDomainSinks(List<TrustDomainSink> trustDomains) {
        if (trustDomains.isEmpty()) {
            throw new IllegalArgumentException("a source serves at least one trust domain");
        }
        List<TrustDomainSink> wrapped = new ArrayList<>(trustDomains.size());
        List<ClosableSink> sinks = new ArrayList<>(trustDomains.size());
        for (TrustDomainSink trustDomain : trustDomains) {
            ClosableSink sink = new ClosableSink(trustDomain.sink());
            sinks.add(sink);
            wrapped.add(new TrustDomainSink(trustDomain.trustDomain(), sink, trustDomain.x509Authorities()));
        }
        this.all = List.copyOf(wrapped);
        this.closable = List.copyOf(sinks);
    }

    public TrustDomainSink primary() {
        return all.get(0);
    }

    /** Every trust domain but the primary. */
    public List<TrustDomainSink> federated() {
        return all.subList(1, all.size());
    }

    public List<TrustDomainSink> all() {
        return all;
    }

    /** Whether some trust domain wants its X.509 authorities. */
    public boolean anyX509Authorities() {
        return all.stream().anyMatch(TrustDomainSink::x509Authorities);
    }

    /**
     * The source answered: it is up for every trust domain it serves, including one it then reports absent,
     * which is an absence and not an outage.
     */
    public void up(boolean streaming) {
        all.forEach(trustDomain -> trustDomain.sink().sourceUp(streaming));
    }

    /** The source cannot be reached: it is down for every trust domain it serves. */
    public void down(String error) {
        all.forEach(trustDomain -> trustDomain.sink().sourceDown(error));
    }

    /** An unexpected failure, reported to every trust domain as the source being down; never throws. */
    public void report(String what, RuntimeException failure) {
        all.forEach(trustDomain -> SourceThreads.report(trustDomain.sink(), what, failure));
    }

    /** No call reaches any sink afterwards. */
    public void close() {
        closable.forEach(ClosableSink::close);
    }

    public boolean isClosed() {
        return closable.get(0).isClosed();
    }
}
