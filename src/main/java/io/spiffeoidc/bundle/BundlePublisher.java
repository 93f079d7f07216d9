package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.logging.LogSanitiser;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The one place where candidate bundles become one trust domain's served snapshot. Validates every candidate,
 * publishes it as one {@link PublishedBundle} (its JWT keys and X.509 authorities together), keeps the last
 * good one on any refusal, and says each state change in one log line. What it keeps is cut by concept:
 * {@link SourceHealth}, {@link Refusals}, {@link TrustDomainPresence} and {@link Withdrawal}, each an
 * immutable value it replaces. HTTP and ops never see the publisher, only its {@link PublishedView}.
 * Writers are serialised on this object.
 */
public final class BundlePublisher implements BundleSink {

    private static final Logger LOG = Logger.getLogger(BundlePublisher.class);

    private final PublisherSpec spec;
    private final PublishedView view;

    // Everything below is guarded by this.
    private final SequenceRule sequenceRule = new SequenceRule();
    private final CandidateDigests digests = new CandidateDigests();
    // The last good snapshot, served unless a withdrawal is in force; null before the first one and after
    // every key was tainted or expired.
    private PublishedBundle kept;
    // The last good X.509 authorities: kept apart from the JWT side, which never waits for them.
    private X509Authorities x509;
    private SourceHealth health = SourceHealth.STARTING;
    private Refusals refusals = Refusals.NONE;
    private long applied;
    // TAINTED or EXPIRED: every key received is gone, so nothing is kept.
    private Withdrawal withdrawal;
    private TrustDomainPresence presence = TrustDomainPresence.PRESENT;
    private ScheduledFuture<?> expiryTimer;

    public BundlePublisher(PublisherSpec spec) {
        this.spec = spec;
        this.view = new PublishedView(spec, status(null));
    }

    /** The read-only side: what HTTP and ops are given. */
    public PublishedView view() {
        return view;
    }

    @Override
    public synchronized void offerDocument(byte[] document) {
        if (repeated(CandidateDigests.ofDocument(document))) {
            return;
        }
        try {
            CandidateKeys candidate = BundleParser.parse(document);
            sequenceRule.check(candidate.sequence());
            List<JWK> keys = KeyPolicy.publishable(candidate, spec.markSignatureUse());
            List<Map<String, Object>> x509Members = candidate.entries().stream()
                    .filter(entry -> X509Authorities.X509_SVID.getValue().equals(entry.get("use"))).toList();
            // A plain JWKS (the agent's JWT bundles) has no X.509 members and leaves the known ones alone.
            X509Verdict x509Part = X509Verdict.NONE;
            if (spec.spiffeBundle() && !x509Members.isEmpty()) {
                try {
                    x509Part = X509Verdict.accepted(X509Authorities.ofMembers(x509Members));
                } catch (BundleRefusal refusal) {
                    x509Part = X509Verdict.refused(refusal);
                }
            }
            publish(keys, Map.of(), x509Part, candidate.sequence(), candidate.refreshHint());
        } catch (BundleRefusal refusal) {
            // Refused as a whole (one line): its X.509 authorities are not trusted either.
            refuse(refusal, Part.CANDIDATE);
        }
        show();
    }

    @Override
    public synchronized void offerAuthorities(AuthorityBundle bundle) {
        if (repeated(CandidateDigests.ofAuthorities(bundle))) {
            return;
        }
        List<JwtAuthority> authorities = bundle.jwtAuthorities();
        Set<String> tainted = authorities.stream().filter(JwtAuthority::tainted).map(JwtAuthority::keyId)
                .collect(Collectors.toCollection(TreeSet::new));
        try {
            List<Map<String, Object>> entries = new ArrayList<>(authorities.size());
            Map<String, Instant> expiries = new HashMap<>();
            for (JwtAuthority authority : authorities) {
                if (!authority.tainted()) {
                    entries.add(PkixKeys.toJwk(authority).toJSONObject());
                    authority.expiresAt().ifPresent(at -> expiries.put(authority.keyId(), at));
                }
            }
            if (entries.isEmpty() && !tainted.isEmpty()) {
                withdraw(Withdrawal.everyAuthority(Withdrawal.Cause.TAINTED, tainted), x509Part(bundle));
                return;
            }
            sequenceRule.check(bundle.sequence());
            List<JWK> keys = KeyPolicy.publishable(new CandidateKeys(entries, bundle.sequence(), bundle.refreshHint()),
                    spec.markSignatureUse());
            Instant now = now();
            List<JWK> live = keys.stream().filter(key -> !expired(expiries.get(key.getKeyID()), now)).toList();
            if (live.isEmpty()) {
                withdraw(Withdrawal.everyAuthority(Withdrawal.Cause.EXPIRED, keys.stream().map(JWK::getKeyID).toList()),
                        x509Part(bundle));
                return;
            }
            publish(live, expiries, x509Part(bundle), bundle.sequence(), bundle.refreshHint());
        } catch (BundleRefusal refusal) {
            // A taint is the operator's word on one key: it holds even when the rest of the bundle is unusable.
            drop(tainted, Withdrawal.Cause.TAINTED);
            refuse(refusal, Part.CANDIDATE);
        } finally {
            show();
        }
    }

    @Override
    public synchronized void offerX509Authorities(List<byte[]> certificates) {
        X509Authorities previous = x509;
        X509Verdict verdict = x509Part(certificates);
        if (verdict.changes(previous)) {
            x509 = verdict.accepted();
            if (kept != null) {
                replace(kept.withX509(x509));
            }
        }
        report(verdict, previous);
        show();
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        if (repeated(CandidateDigests.ofRefusal(refusal))) {
            return;
        }
        refuse(refusal, Part.CANDIDATE);
        show();
    }

    /**
     * The source answered but holds no bundle for this trust domain. Counted and logged as a refusal; the
     * last good keys stay served until {@link #withdrawIfAbsentPastGrace()} ends the grace period.
     */
    @Override
    public synchronized void absent(String detail) {
        presence = presence.absent(now());
        refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, detail));
    }

    /**
     * Withdraws the keys of a trust domain missing from the source for longer than its grace period (HTTP then
     * answers 503); called periodically. The keys come back with the trust domain.
     */
    public synchronized void withdrawIfAbsentPastGrace() {
        Duration grace = spec.missingGracePeriod();
        Optional<Withdrawal> absent = presence.pastGrace(grace, spec.source(), now());
        if (absent.isEmpty()) {
            return;
        }
        presence = presence.withdraw(absent.get());
        LOG.warnf("Trust domain %s missing from %s for %d s, longer than the grace period of %d s: no longer serving %s",
                spec.trustDomainLabel(), spec.source(), presence.missingFor(now()).orElseThrow().toSeconds(),
                grace.toSeconds(), kept == null ? "any keys" : kidList(kept.keyIds()));
        show();
    }

    @Override
    public synchronized void sourceUp(boolean streaming) {
        SourceHealth before = health;
        health = before.up(streaming);
        if (!before.up()) {
            if (before.state() == SourceState.DOWN && before.downSince().isPresent()) {
                LOG.infof("Key source %s recovered after %d ms", spec.from(),
                        Duration.between(before.downSince().get(), now()).toMillis());
            } else {
                LOG.infof("Key source %s connected", spec.from());
            }
        }
        show();
    }

    @Override
    public synchronized void sourceDown(String error) {
        String line = LogSanitiser.clean(error);
        // The connection is gone: the next one starts the sequence rule afresh, and may re-offer what was refused.
        sequenceRule.reset();
        digests.forgetCandidate();
        SourceHealth before = health;
        health = before.down(line, now());
        if (before.state() != SourceState.DOWN) {
            LOG.warnf("Key source %s down: %s; %s", spec.from(), line, servingSummary());
        }
        show();
    }

    /** A repeat of the latest candidate is contact with the source, and nothing more. */
    private boolean repeated(byte[] digest) {
        if (digests.newCandidate(digest)) {
            return false;
        }
        health = health.contact(now());
        show();
        return true;
    }

    /** The X.509 part of a server bundle, judged unless the same certificates were judged last time. */
    private X509Verdict x509Part(AuthorityBundle bundle) {
        return bundle.x509Authorities().map(this::x509Part).orElse(X509Verdict.NONE);
    }

    private X509Verdict x509Part(List<byte[]> certificates) {
        if (!spec.spiffeBundle() || !digests.newX509(CandidateDigests.ofX509(certificates))) {
            return X509Verdict.NONE;
        }
        try {
            return X509Verdict.accepted(X509Authorities.of(certificates));
        } catch (BundleRefusal refusal) {
            return X509Verdict.refused(refusal);
        }
    }

    /** One candidate whose JWT keys are good becomes one snapshot, with its X.509 authorities if they are. */
    private void publish(List<JWK> keys, Map<String, Instant> expiries, X509Verdict x509Part, OptionalLong sequence,
            OptionalLong refreshHint) {
        X509Authorities previousX509 = x509;
        if (x509Part.changes(previousX509)) {
            x509 = x509Part.accepted();
        }
        accept(keys, expiries, sequence, refreshHint);
        report(x509Part, previousX509);
    }

    private void accept(List<JWK> keys, Map<String, Instant> expiries, OptionalLong sequence, OptionalLong refreshHint) {
        health = health.contact(now());
        sequenceRule.accepted(sequence);
        long maxAge = spec.rules().cacheLifetime().maxAgeSeconds(refreshHint);
        refusals = refusals.latestAccepted();
        returned();
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
            return;
        }
        PublishedBundle next = new PublishedBundle(keys, served, now(), sequence, refreshHint, maxAge, x509);
        replace(next);
        applied++;
        LOG.infof("Bundle applied from %s: %d key(s) %s%s, max-age=%d s%s%s", spec.from(), next.keyCount(),
                kidList(next.keyIds()), sequence.isPresent() ? " (sequence " + sequence.getAsLong() + ")" : "", maxAge,
                hintNote(refreshHint), previous == null ? "" : ", replacing " + kidList(previous.keyIds()));
        warnOnKeyCount(previous, next);
    }

    /** A valid bundle for a trust domain that had gone missing ends its absence (and an ABSENT withdrawal). */
    private void returned() {
        Optional<Instant> since = presence.absentSince();
        if (since.isEmpty()) {
            return;
        }
        LOG.infof("Trust domain %s is back in %s after %d s%s", spec.trustDomainLabel(), spec.source(),
                Duration.between(since.get(), now()).toSeconds(), presence.withdrawn() ? "; serving its keys again" : "");
        presence = TrustDomainPresence.PRESENT;
    }

    private static String hintNote(OptionalLong refreshHint) {
        return refreshHint.isPresent() ? " (refresh hint " + refreshHint.getAsLong() + " s)" : "";
    }

    /**
     * AWS STS reads at most 100 keys of a JWKS and ignores the rest without an error, so tokens signed by a
     * key past that fail there while every other relying party accepts them. Once per crossing, each way.
     */
    private void warnOnKeyCount(PublishedBundle previous, PublishedBundle next) {
        boolean wasOver = previous != null && overKeyThreshold(previous);
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

    private boolean overKeyThreshold(PublishedBundle bundle) {
        return bundle != null && bundle.keyCount() > spec.rules().keysWarnThreshold();
    }

    /**
     * Counts and logs a refusal. A refused candidate still proves the source is reachable and current: only
     * an unreachable source makes the served keys stale. Every replica receives the same bad bundle, so
     * letting refusals age readiness would take all of them out of the load balancer together, while the
     * last good keys are still right to serve. Refusals are alerted on through their counter, the
     * latest-refused gauge and health data. An X.509 part refused alone leaves the JWT keys and the last good
     * X.509 authorities as they are.
     */
    private void refuse(BundleRefusal refusal, Part part) {
        if (part == Part.X509) {
            refusals = refusals.refuse(refusal, false);
            LOG.warnf("X.509 authorities from %s refused (%s): %s; %s", spec.from(), refusal.reason().label(),
                    refusal.detail(), x509 == null ? "no X.509 authorities served yet" : "still serving " + kidList(x509.subjects()));
            return;
        }
        health = health.contact(now());
        refusals = refusals.refuse(refusal, true);
        LOG.warnf("Bundle update from %s refused (%s): %s; %s", spec.from(), refusal.reason().label(),
                refusal.detail(), servingSummary());
    }

    /** The one line about a candidate's X.509 part: applied, or refused; nothing when it changed nothing. */
    private void report(X509Verdict verdict, X509Authorities previous) {
        if (verdict.refusal() != null) {
            refuse(verdict.refusal(), Part.X509);
        } else if (verdict.changes(previous)) {
            X509Authorities next = verdict.accepted();
            LOG.infof("X.509 authorities applied from %s: %d certificate(s) %s%s", spec.from(), next.count(),
                    kidList(next.subjects()), previous == null ? "" : ", replacing " + kidList(previous.subjects()));
        }
    }

    /**
     * The source answered, and what it said is that none of its keys may be served any more. Its X.509
     * authorities are still the trust domain's, and are served with the keys that come next.
     */
    private void withdraw(Withdrawal reason, X509Verdict x509Part) {
        health = health.contact(now());
        refusals = refusals.latestAccepted();
        stopServing(reason);
        X509Authorities previousX509 = x509;
        if (x509Part.changes(previousX509)) {
            x509 = x509Part.accepted();
        }
        report(x509Part, previousX509);
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

    /** Takes {@code kids} out of the served set at once; serves nothing if no key is left. */
    private void drop(Collection<String> kids, Withdrawal.Cause cause) {
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

    /** The new last good snapshot; its first key expiry is timed from here. */
    private void replace(PublishedBundle next) {
        kept = next;
        withdrawal = null;
        cancelExpiryTimer();
        next.nextExpiry().ifPresent(at -> {
            long delay = Math.max(0, Duration.between(now(), at).toNanos());
            expiryTimer = ExpiryTimer.schedule(this::expireDue, delay);
        });
    }

    private void cancelExpiryTimer() {
        if (expiryTimer != null) {
            expiryTimer.cancel(false);
            expiryTimer = null;
        }
    }

    /** Runs when the first served key expires (and from tests with a hand-moved clock). */
    synchronized void expireDue() {
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
        show();
    }

    private static boolean expired(Instant expiry, Instant now) {
        return expiry != null && !expiry.isAfter(now);
    }

    private String servingSummary() {
        return kept == null ? "no keys served" + (withdrawal == null ? " yet" : "")
                : "still serving " + kidList(kept.keyIds());
    }

    private static String kidList(Collection<String> kids) {
        return Withdrawal.kidList(kids);
    }

    private Instant now() {
        return spec.clock().instant();
    }

    /**
     * The rule behind every withdrawal: nothing is served while one of any cause is in force. A TAINTED or
     * EXPIRED one has already discarded the keys; an ABSENT one hides the last good ones.
     */
    private PublishedBundle servable() {
        return withdrawal != null || presence.withdrawn() ? null : kept;
    }

    /** Hands the view the snapshot and the status after a change, each replaced whole. */
    private void show() {
        PublishedBundle served = servable();
        view.show(served, status(served));
    }

    private PublisherStatus status(PublishedBundle served) {
        return new PublisherStatus(Optional.ofNullable(served), health, refusals, applied, Optional.ofNullable(withdrawal),
                presence, overKeyThreshold(served), spec.clock());
    }

    /** What a refusal is about: a whole candidate, or the X.509 part of one judged apart. */
    private enum Part {
        CANDIDATE, X509
    }

    /** The verdict on a candidate's X.509 part: accepted, refused, or none to judge. */
    private record X509Verdict(X509Authorities accepted, BundleRefusal refusal) {

        static final X509Verdict NONE = new X509Verdict(null, null);

        static X509Verdict accepted(X509Authorities authorities) {
            return new X509Verdict(authorities, null);
        }

        static X509Verdict refused(BundleRefusal refusal) {
            return new X509Verdict(null, refusal);
        }

        /** Whether it brings X.509 authorities other than {@code previous}. */
        boolean changes(X509Authorities previous) {
            return accepted != null && !accepted.sameAs(previous);
        }
    }
}
