package io.spiffeoidc.bundle;

import java.util.OptionalLong;

/**
 * Within one source connection, a bundle older than the one served is refused: SPIRE raises
 * {@code spiffe_sequence} on every change of its bundle, so a lower number on the same connection can only
 * be a stale or replayed copy. The rule starts afresh on every new connection and at start-up, because a
 * restored SPIRE datastore or another server legitimately starts lower, and refusing that for good would
 * freeze the keys; bundles without a sequence are not compared. Not thread-safe: the publisher's lock
 * guards it.
 */
final class SequenceRule {

    private long highest;
    private boolean seen;

    void check(OptionalLong sequence) throws BundleRefusal {
        if (seen && sequence.isPresent() && sequence.getAsLong() < highest) {
            throw new BundleRefusal(RefusalReason.SEQUENCE_ROLLBACK, "spiffe_sequence " + sequence.getAsLong()
                    + " is lower than " + highest + ", the sequence served on this connection");
        }
    }

    void accepted(OptionalLong sequence) {
        if (sequence.isPresent() && (!seen || sequence.getAsLong() > highest)) {
            highest = sequence.getAsLong();
            seen = true;
        }
    }

    /** A new connection to the source (or a restart): nothing to compare with yet. */
    void reset() {
        seen = false;
        highest = 0;
    }
}
