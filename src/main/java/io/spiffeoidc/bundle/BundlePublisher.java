package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The one place where candidate bundles become the served key set. Validates every candidate, swaps the
 * published snapshot atomically, keeps the last good one on any refusal, and records the state that
 * health checks, metrics and logs report. Writers are serialised; readers only read volatile fields.
 */
public final class BundlePublisher implements BundleSink {

    private static final Logger LOG = Logger.getLogger(BundlePublisher.class);

    private final String sourceLabel;
    private final String trustDomain;
    private final boolean markSignatureUse;
    private final Clock clock;

    private volatile PublishedBundle current;
    // What HTTP answers with: the current keys, or null before the first ones and once a trust domain that
    // left the source has been gone longer than its grace period. One volatile read per request.
    private volatile PublishedBundle served;
    private volatile Instant absentSince;
    private volatile boolean withdrawn;
    private volatile SourceState sourceState = SourceState.STARTING;
    private volatile boolean streaming;
    private volatile String lastSourceError;
    private volatile Instant lastSync;
    private volatile BundleRefusal lastRefusal;
    private volatile Instant sourceDownSince;

    private final AtomicLong applied = new AtomicLong();
    private final Map<RefusalReason, AtomicLong> refused = new EnumMap<>(RefusalReason.class);

    // Guarded by this: lets a source re-offer the same bytes on every poll without re-counting or re-logging.
    private byte[] lastInputDigest;

    public BundlePublisher(String sourceLabel, boolean markSignatureUse, Clock clock) {
        this(sourceLabel, "", markSignatureUse, clock);
    }

    /** @param trustDomain named in every log line; empty when the service publishes one trust domain */
    public BundlePublisher(String sourceLabel, String trustDomain, boolean markSignatureUse, Clock clock) {
        this.sourceLabel = sourceLabel;
        this.trustDomain = trustDomain;
        this.markSignatureUse = markSignatureUse;
        this.clock = clock;
        for (RefusalReason reason : RefusalReason.values()) {
            refused.put(reason, new AtomicLong());
        }
    }

    /** The last good key set, or null before the first valid bundle. */
    public PublishedBundle current() {
        return current;
    }

    /**
     * The key set to answer requests with: {@link #current()}, except after a trust domain has been missing
     * from the source for longer than its grace period, when it is null.
     */
    public PublishedBundle served() {
        return served;
    }

    @Override
    public synchronized void offerDocument(byte[] document) {
        if (isRepeat(digest(document))) {
            return;
        }
        try {
            CandidateKeys candidate = BundleParser.parse(document);
            accept(KeyPolicy.publishable(candidate, markSignatureUse), candidate.sequence());
        } catch (BundleRefusal refusal) {
            reject(refusal);
        }
    }

    @Override
    public synchronized void offerKeys(List<JWK> keys) {
        List<Map<String, Object>> entries = new ArrayList<>(keys.size());
        for (JWK key : keys) {
            entries.add(key.toJSONObject());
        }
        if (isRepeat(digest(JSONObjectUtils.toJSONString(Map.of("keys", entries)).getBytes(StandardCharsets.UTF_8)))) {
            return;
        }
        try {
            accept(KeyPolicy.publishable(new CandidateKeys(entries, OptionalLong.empty(), OptionalLong.empty()), markSignatureUse),
                    OptionalLong.empty());
        } catch (BundleRefusal refusal) {
            reject(refusal);
        }
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        lastInputDigest = null;
        reject(refusal);
    }

    /**
     * The source answered but holds no bundle for this trust domain. Counted and logged as a refusal; the
     * last good keys stay served until {@link #withdrawIfAbsentFor(Duration)} ends the grace period.
     */
    @Override
    public synchronized void absent(String detail) {
        lastInputDigest = null;
        reject(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, detail));
        if (absentSince == null) {
            absentSince = clock.instant();
        }
    }

    /**
     * Stops serving the keys of a trust domain that has been missing from the source for {@code grace} or
     * longer (HTTP then answers 503); called periodically. The keys come back with the trust domain.
     */
    public synchronized void withdrawIfAbsentFor(Duration grace) {
        Instant since = absentSince;
        if (since == null || withdrawn || Duration.between(since, clock.instant()).compareTo(grace) < 0) {
            return;
        }
        withdrawn = true;
        served = null;
        LOG.warnf("Trust domain %s missing from %s for %d s, longer than the grace period of %d s: no longer serving %s",
                trustDomainLabel(), sourceLabel, Duration.between(since, clock.instant()).toSeconds(), grace.toSeconds(),
                current == null ? "any keys" : current.keyIds());
    }

    /** When the source last stopped delivering this trust domain's bundle, if it has not delivered one since. */
    public Optional<Instant> absentSince() {
        return Optional.ofNullable(absentSince);
    }

    /** True once a missing trust domain outlived its grace period and its keys are no longer served. */
    public boolean withdrawn() {
        return withdrawn;
    }

    @Override
    public synchronized void sourceUp(boolean streaming) {
        this.streaming = streaming;
        if (sourceState != SourceState.UP) {
            if (sourceState == SourceState.DOWN && sourceDownSince != null) {
                LOG.infof("Key source %s recovered after %d ms", from(),
                        Duration.between(sourceDownSince, clock.instant()).toMillis());
            } else {
                LOG.infof("Key source %s connected", from());
            }
            sourceState = SourceState.UP;
            sourceDownSince = null;
        }
    }

    @Override
    public synchronized void sourceDown(String error) {
        Instant now = clock.instant();
        lastSourceError = error;
        if (sourceState == SourceState.UP && streaming && lastSync != null) {
            // A stream delivered every change up to this moment, so the keys were current until now.
            lastSync = now;
        }
        if (sourceState != SourceState.DOWN) {
            LOG.warnf("Key source %s down: %s; %s", from(), error, servingSummary());
            sourceState = SourceState.DOWN;
            sourceDownSince = now;
        }
    }

    private boolean isRepeat(byte[] inputDigest) {
        if (lastInputDigest != null && Arrays.equals(lastInputDigest, inputDigest)) {
            lastSync = clock.instant();
            return true;
        }
        lastInputDigest = inputDigest;
        return false;
    }

    private void accept(List<JWK> keys, OptionalLong sequence) {
        lastSync = clock.instant();
        returned();
        PublishedBundle previous = current;
        if (previous != null && previous.sameKeysAs(keys)) {
            served = previous;
            return;
        }
        PublishedBundle next = new PublishedBundle(keys, clock.instant(), sequence);
        current = next;
        served = next;
        applied.incrementAndGet();
        LOG.infof("Bundle applied from %s: %d key(s) %s%s%s", from(), next.keyCount(), next.keyIds(),
                sequence.isPresent() ? " (sequence " + sequence.getAsLong() + ")" : "",
                previous == null ? "" : ", replacing " + previous.keyIds());
    }

    /** A valid bundle for a trust domain that had gone missing ends its absence (and a withdrawal). */
    private void returned() {
        Instant since = absentSince;
        if (since == null) {
            return;
        }
        LOG.infof("Trust domain %s is back in %s after %d s%s", trustDomainLabel(), sourceLabel,
                Duration.between(since, clock.instant()).toSeconds(), withdrawn ? "; serving its keys again" : "");
        absentSince = null;
        withdrawn = false;
    }

    private String from() {
        return trustDomain.isEmpty() ? sourceLabel : sourceLabel + " for " + trustDomain;
    }

    private String trustDomainLabel() {
        return trustDomain.isEmpty() ? "(configured)" : trustDomain;
    }

    /**
     * A refusal still proves the source is reachable and current: only an unreachable source makes the
     * served keys stale. Every replica receives the same bad bundle, so letting refusals age readiness
     * would take all of them out of the load balancer together, while the last good keys are still right
     * to serve. Refusals are alerted on through their counter and the health data instead.
     */
    private void reject(BundleRefusal refusal) {
        lastSync = clock.instant();
        refused.get(refusal.reason()).incrementAndGet();
        BundleRefusal previous = lastRefusal;
        lastRefusal = refusal;
        if (previous == null || previous.reason() != refusal.reason() || !previous.detail().equals(refusal.detail())) {
            LOG.warnf("Bundle update from %s refused (%s): %s; %s", from(), refusal.reason().label(),
                    refusal.detail(), servingSummary());
        }
    }

    private String servingSummary() {
        PublishedBundle served = current;
        return served == null ? "no keys served yet" : "still serving " + served.keyIds();
    }

    /**
     * How long ago the source last confirmed the served keys; zero while a stream is up, empty before
     * the first confirmation.
     */
    public Optional<Duration> syncAge() {
        Instant synced = lastSync;
        if (sourceState == SourceState.UP && streaming && synced != null) {
            return Optional.of(Duration.ZERO);
        }
        return synced == null ? Optional.empty() : Optional.of(Duration.between(synced, clock.instant()));
    }

    public String sourceLabel() {
        return sourceLabel;
    }

    /** The trust domain named in logs; empty for a service that publishes one. */
    public String trustDomain() {
        return trustDomain;
    }

    public SourceState sourceState() {
        return sourceState;
    }

    public Optional<String> lastSourceError() {
        return Optional.ofNullable(lastSourceError);
    }

    public Optional<BundleRefusal> lastRefusal() {
        return Optional.ofNullable(lastRefusal);
    }

    public long appliedCount() {
        return applied.get();
    }

    public long refusedCount(RefusalReason reason) {
        return refused.get(reason).get();
    }

    public Clock clock() {
        return clock;
    }

    private static byte[] digest(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
