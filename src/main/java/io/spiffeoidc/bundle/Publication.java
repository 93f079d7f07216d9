package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.JWK;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

/**
 * What one trust domain publishes: the last good snapshot and its X.509 authorities. Each accepted candidate
 * becomes one {@link PublishedBundle}, its JWT keys and X.509 authorities together, so a reader never sees
 * one candidate's sequence number with another's authorities; a refused one changes nothing. Keys leave
 * without a new candidate when they expire (a timer re-publishes the set without them at that instant,
 * whether or not the source still answers) or when the source declares them tainted. Not thread-safe: the
 * publisher's lock guards it, the expiry timer's task included.
 */
final class Publication {

    // The publisher's log lines, under its name as they always were: operators filter on it.
    private static final Logger LOG = Logger.getLogger(BundlePublisher.class);

    private final PublisherSpec spec;
    private final Runnable expiryDue;
    // Null before the first snapshot and after every key was tainted or expired.
    private PublishedBundle kept;
    // Kept apart from the JWT side, which never waits for them.
    private X509Authorities x509;
    // TAINTED or EXPIRED: every key received is gone, so nothing is kept.
    private Withdrawal withdrawal;
    private long applied;
    private ScheduledFuture<?> expiryTimer;

    /** @param expiryDue runs {@link #expireDue()} under the publisher's lock when the first served key expires */
    Publication(PublisherSpec spec, Runnable expiryDue) {
        this.spec = spec;
        this.expiryDue = expiryDue;
    }

    /** The last good snapshot, or null. */
    PublishedBundle kept() {
        return kept;
    }

    /** The last good X.509 authorities, or null before the first. */
    X509Authorities x509() {
        return x509;
    }

    Optional<Withdrawal> withdrawal() {
        return Optional.ofNullable(withdrawal);
    }

    /** Candidates that changed the key set. */
    long applied() {
        return applied;
    }

    /** A candidate whose JWT keys are good, with the verdict on its X.509 part: one snapshot. */
    void publish(List<JWK> keys, Map<String, Instant> expiries, X509Verdict x509Part, OptionalLong sequence,
            OptionalLong refreshHint) {
        X509Authorities previousX509 = x509;
        if (x509Part.changes(previousX509)) {
            x509 = x509Part.accepted();
        }
        long maxAge = spec.rules().cacheLifetime().maxAgeSeconds(refreshHint);
        Map<String, Instant> served = new HashMap<>();
        for (JWK key : keys) {
            Instant expiry = expiries.get(key.getKeyID());
            if (expiry != null) {
                served.put(key.getKeyID(), expiry);
            }
        }
        PublishedBundle previous = kept;
        if (previous != null && previous.sameKeysAs(keys)) {
            if (previous.maxAgeSeconds() != maxAge) {
                replace(new PublishedBundle(keys, served, previous.appliedAt(), sequence, refreshHint, maxAge, x509));
                LOG.infof("Cache lifetime from %s now max-age=%d s%s, same keys %s", spec.from(), maxAge,
                        hintNote(refreshHint), kidList(previous.keyIds()));
            } else if (spec.spiffeBundle() && !previous.sequence().equals(sequence)) {
                // The SPIFFE bundle carries the sequence number, which moves with X.509 changes too.
                replace(new PublishedBundle(keys, served, previous.appliedAt(), sequence, refreshHint, maxAge, x509));
            } else if (!previous.expiries().equals(served)) {
                // Same keys and bytes, new expiry dates: not a change anyone sees until a key expires.
                replace(new PublishedBundle(keys, served, previous.appliedAt(), previous.sequence(), previous.refreshHint(),
                        previous.maxAgeSeconds(), x509));
            } else if (previous.x509() != x509) {
                replace(previous.withX509(x509));
            }
        } else {
            PublishedBundle next = new PublishedBundle(keys, served, now(), sequence, refreshHint, maxAge, x509);
            replace(next);
            applied++;
            LOG.infof("Bundle applied from %s: %d key(s) %s%s, max-age=%d s%s%s", spec.from(), next.keyCount(),
                    kidList(next.keyIds()), sequence.isPresent() ? " (sequence " + sequence.getAsLong() + ")" : "", maxAge,
                    hintNote(refreshHint), previous == null ? "" : ", replacing " + kidList(previous.keyIds()));
            warnOnKeyCount(previous, next);
        }
        x509Applied(x509Part, previousX509);
    }

    /** A candidate of X.509 authorities alone: the served keys with them, as one snapshot. */
    void publish(X509Verdict x509Part) {
        X509Authorities previous = x509;
        if (x509Part.changes(previous)) {
            x509 = x509Part.accepted();
            if (kept != null) {
                replace(kept.withX509(x509));
            }
        }
        x509Applied(x509Part, previous);
    }

    /**
     * The source says none of its keys may be served any more. The X.509 authorities of the same candidate
     * are still the trust domain's, and are served with the keys that come next.
     */
    void withdraw(Withdrawal reason, X509Verdict x509Part) {
        stopServing(reason);
        X509Authorities previous = x509;
        if (x509Part.changes(previous)) {
            x509 = x509Part.accepted();
        }
        x509Applied(x509Part, previous);
    }

    /** Takes {@code kids} out of the served set at once; serves nothing if no key is left. */
    void drop(Collection<String> kids, Withdrawal.Cause cause) {
        PublishedBundle served = kept;
        if (served == null || kids.isEmpty() || served.keyIds().stream().noneMatch(kids::contains)) {
            return;
        }
        List<JWK> left = served.keys().stream().filter(key -> !kids.contains(key.getKeyID())).toList();
        List<String> dropped = served.keyIds().stream().filter(kids::contains).toList();
        if (left.isEmpty()) {
            stopServing(Withdrawal.everyServedKey(cause, dropped));
            return;
        }
        Map<String, Instant> expiries = new HashMap<>(served.expiries());
        expiries.keySet().removeAll(kids);
        PublishedBundle next = new PublishedBundle(left, expiries, now(), served.sequence(), served.refreshHint(),
                served.maxAgeSeconds(), x509);
        replace(next);
        LOG.warnf("Key(s) %s from %s %s: no longer served; serving %s", kidList(dropped), spec.from(), cause.word(),
                kidList(next.keyIds()));
    }

    /** When the first served key expires (or a test moved its clock past that). */
    void expireDue() {
        PublishedBundle served = kept;
        if (served == null) {
            return;
        }
        Instant now = now();
        List<String> due = served.expiries().entrySet().stream().filter(e -> expired(e.getValue(), now))
                .map(Map.Entry::getKey).sorted().toList();
        if (due.isEmpty()) {
            replace(served); // woke a little early: wait for the same instant again
            return;
        }
        drop(due, Withdrawal.Cause.EXPIRED);
    }

    static boolean expired(Instant expiry, Instant now) {
        return expiry != null && !expiry.isAfter(now);
    }

    /** How log lines end: what is still served. */
    String servingSummary() {
        return kept == null ? "no keys served" + (withdrawal == null ? " yet" : "")
                : "still serving " + kidList(kept.keyIds());
    }

    boolean overKeyThreshold(PublishedBundle bundle) {
        return bundle != null && bundle.keyCount() > spec.rules().keysWarnThreshold();
    }

    private void stopServing(Withdrawal reason) {
        PublishedBundle previous = kept;
        Withdrawal before = withdrawal;
        withdrawal = reason;
        kept = null;
        cancelExpiryTimer();
        if (before == null || !reason.reason().equals(before.reason()) || previous != null) {
            LOG.warnf("Serving no keys from %s: %s%s", spec.from(), reason.reason(),
                    previous == null ? "" : "; withdrew " + kidList(previous.keyIds()));
        }
    }

    /** The new last good snapshot; its first key expiry is timed from here. */
    private void replace(PublishedBundle next) {
        kept = next;
        withdrawal = null;
        cancelExpiryTimer();
        next.nextExpiry().ifPresent(at -> {
            long delay = Math.max(0, Duration.between(now(), at).toNanos());
            expiryTimer = ExpiryTimer.schedule(expiryDue, delay);
        });
    }

    private void cancelExpiryTimer() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
    }

    /** The one line about a candidate's accepted X.509 part; nothing when it changed nothing. */
    private void x509Applied(X509Verdict verdict, X509Authorities previous) {
        if (verdict.changes(previous)) {
            X509Authorities next = verdict.accepted();
            LOG.infof("X.509 authorities applied from %s: %d certificate(s) %s%s", spec.from(), next.count(),
                    kidList(next.subjects()), previous == null ? "" : ", replacing " + kidList(previous.subjects()));
        }
    }

    /**
     * AWS STS reads at most 100 keys of a JWKS and ignores the rest without an error, so tokens signed by a
     * key past that fail there while every other relying party accepts them. Once per crossing, each way.
     */
    private void warnOnKeyCount(PublishedBundle previous, PublishedBundle next) {
        boolean wasOver = overKeyThreshold(previous);
        boolean over = overKeyThreshold(next);
        if (over && !wasOver) {
            LOG.warnf("Serving %d keys, more than spiffe-oidc.keys-warn-threshold=%d: relying parties that read only"
                    + " part of a key set (AWS STS reads 100) will refuse tokens signed by the keys they drop",
                    next.keyCount(), spec.rules().keysWarnThreshold());
        } else if (wasOver && !over) {
            LOG.infof("Serving %d keys, back within spiffe-oidc.keys-warn-threshold=%d", next.keyCount(),
                    spec.rules().keysWarnThreshold());
        }
    }

    private static String hintNote(OptionalLong refreshHint) {
        return refreshHint.isPresent() ? " (refresh hint " + refreshHint.getAsLong() + " s)" : "";
    }

    private static String kidList(Collection<String> kids) {
        return Withdrawal.kidList(kids);
    }

    private Instant now() {
        return spec.clock().instant();
    }
}
