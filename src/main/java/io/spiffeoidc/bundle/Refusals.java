package io.spiffeoidc.bundle;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Refused candidates: counted by reason, once per distinct content, with the latest refusal and whether the
 * source's latest candidate was a refused one. Immutable: the publisher replaces it on every refusal.
 *
 * @param latestRefused whether the latest candidate was refused as a whole; cleared by the next good one
 */
public record Refusals(Map<RefusalReason, Long> counts, Optional<BundleRefusal> last, boolean latestRefused) {

    static final Refusals NONE = new Refusals(Map.of(), Optional.empty(), false);

    public Refusals {
        counts = Map.copyOf(counts);
    }

    public long count(RefusalReason reason) {
        return counts.getOrDefault(reason, 0L);
    }

    /**
     * @param ofCandidate whether the refusal is the verdict on the latest candidate as a whole; the X.509
     *                    part of a candidate refused alone is counted, but leaves that verdict as it was
     */
    Refusals refuse(BundleRefusal refusal, boolean ofCandidate) {
        Map<RefusalReason, Long> next = new EnumMap<>(RefusalReason.class);
        next.putAll(counts);
        next.merge(refusal.reason(), 1L, Long::sum);
        return new Refusals(next, Optional.of(refusal), ofCandidate || latestRefused);
    }

    /** The latest candidate was not refused. */
    Refusals latestAccepted() {
        return latestRefused ? new Refusals(counts, last, false) : this;
    }
}
