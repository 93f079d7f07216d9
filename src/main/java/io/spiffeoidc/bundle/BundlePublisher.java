package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.logging.LogSanitiser;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The one place where candidate bundles become one trust domain's served snapshot: takes every candidate and
 * report a source hands over, judges it, and says each state change in one log line. What it keeps is cut
 * by concept, each part replaced or changed only under this object's lock: the {@link Publication} (last good
 * snapshot, one per candidate), {@link SourceHealth}, {@link Refusals} and {@link TrustDomainPresence};
 * {@link Withdrawal} is the one rule for keys received but not served. HTTP and ops never see the publisher,
 * only its {@link PublishedView}.
 */
public final class BundlePublisher implements BundleSink {

    private static final Logger LOG = Logger.getLogger(BundlePublisher.class);

    private final PublisherSpec spec;
    private final PublishedView view;

    // Everything below is guarded by this.
    private final SequenceRule sequenceRule = new SequenceRule();
    private final CandidateDigests digests = new CandidateDigests();
    private final Publication publication;
    private SourceHealth health = SourceHealth.STARTING;
    private Refusals refusals = Refusals.NONE;
    private TrustDomainPresence presence = TrustDomainPresence.PRESENT;

    public BundlePublisher(PublisherSpec spec) {
        this.spec = spec;
        this.publication = new Publication(spec, this::expireDue);
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
                    x509Part = X509Verdict.of(X509Authorities.ofMembers(x509Members));
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
        Set<String> tainted = bundle.taintedKeyIds();
        try {
            CandidateKeys candidate = bundle.untainted();
            if (candidate.entries().isEmpty() && !tainted.isEmpty()) {
                withdraw(Withdrawal.everyAuthority(Withdrawal.Cause.TAINTED, tainted), x509Part(bundle));
                return;
            }
            sequenceRule.check(bundle.sequence());
            List<JWK> keys = KeyPolicy.publishable(candidate, spec.markSignatureUse());
            Map<String, Instant> expiries = bundle.expiries();
            Instant now = now();
            List<JWK> live = keys.stream().filter(key -> !Publication.expired(expiries.get(key.getKeyID()), now)).toList();
            if (live.isEmpty()) {
                withdraw(Withdrawal.everyAuthority(Withdrawal.Cause.EXPIRED, keys.stream().map(JWK::getKeyID).toList()),
                        x509Part(bundle));
                return;
            }
            publish(live, expiries, x509Part(bundle), bundle.sequence(), bundle.refreshHint());
        } catch (BundleRefusal refusal) {
            // A taint is the operator's word on one key: it holds even when the rest of the bundle is unusable.
            publication.drop(tainted, Withdrawal.Cause.TAINTED);
            refuse(refusal, Part.CANDIDATE);
        } finally {
            show();
        }
    }

    @Override
    public synchronized void offerX509Authorities(List<byte[]> certificates) {
        X509Verdict verdict = x509Part(certificates);
        publication.publish(verdict);
        refuseX509(verdict);
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
                grace.toSeconds(), publication.kept() == null ? "any keys" : kidList(publication.kept().keyIds()));
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
            LOG.warnf("Key source %s down: %s; %s", spec.from(), line, publication.servingSummary());
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
            return X509Verdict.of(X509Authorities.of(certificates));
        } catch (BundleRefusal refusal) {
            return X509Verdict.refused(refusal);
        }
    }

    /** A candidate whose JWT keys are good: contact, the sequence floor raised, and one snapshot. */
    private void publish(List<JWK> keys, Map<String, Instant> expiries, X509Verdict x509Part, OptionalLong sequence,
            OptionalLong refreshHint) {
        health = health.contact(now());
        sequenceRule.accepted(sequence);
        refusals = refusals.latestAccepted();
        returned();
        publication.publish(keys, expiries, x509Part, sequence, refreshHint);
        refuseX509(x509Part);
    }

    /** The source answered, and what it said is that none of its keys may be served any more. */
    private void withdraw(Withdrawal reason, X509Verdict x509Part) {
        health = health.contact(now());
        refusals = refusals.latestAccepted();
        publication.withdraw(reason, x509Part);
        refuseX509(x509Part);
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
            X509Authorities kept = publication.x509();
            LOG.warnf("X.509 authorities from %s refused (%s): %s; %s", spec.from(), refusal.reason().label(),
                    refusal.detail(),
                    kept == null ? "no X.509 authorities served yet" : "still serving " + kidList(kept.subjects()));
            return;
        }
        health = health.contact(now());
        refusals = refusals.refuse(refusal, true);
        LOG.warnf("Bundle update from %s refused (%s): %s; %s", spec.from(), refusal.reason().label(),
                refusal.detail(), publication.servingSummary());
    }

    private void refuseX509(X509Verdict verdict) {
        if (verdict.refusal() != null) {
            refuse(verdict.refusal(), Part.X509);
        }
    }

    /** Runs when the first served key expires (and from tests with a hand-moved clock). */
    synchronized void expireDue() {
        publication.expireDue();
        show();
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
        return publication.withdrawal().isPresent() || presence.withdrawn() ? null : publication.kept();
    }

    /** Hands the view the snapshot and the status after a change, each replaced whole. */
    private void show() {
        PublishedBundle served = servable();
        view.show(served, status(served));
    }

    private PublisherStatus status(PublishedBundle served) {
        return new PublisherStatus(Optional.ofNullable(served), health, refusals, publication.applied(),
                publication.withdrawal(), presence, publication.overKeyThreshold(served), spec.clock());
    }

    /** What a refusal is about: a whole candidate, or the X.509 part of one judged apart. */
    private enum Part {
        CANDIDATE, X509
    }
}
