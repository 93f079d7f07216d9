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
import java.util.LinkedHashMap;
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
    private final boolean markSignatureUse;
    private final Clock clock;
    private final PublicationRules rules;

    private volatile PublishedBundle current;
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
    // Guarded by this.
    private final SequenceRule sequenceRule = new SequenceRule();

    public BundlePublisher(String sourceLabel, boolean markSignatureUse, Clock clock) {
        this(sourceLabel, markSignatureUse, clock, PublicationRules.DEFAULT);
    }

    public BundlePublisher(String sourceLabel, boolean markSignatureUse, Clock clock, PublicationRules rules) {
        this.sourceLabel = sourceLabel;
        this.markSignatureUse = markSignatureUse;
        this.clock = clock;
        this.rules = rules;
        for (RefusalReason reason : RefusalReason.values()) {
            refused.put(reason, new AtomicLong());
        }
    }

    /** The key set being served, or null before the first valid bundle. */
    public PublishedBundle current() {
        return current;
    }

    @Override
    public synchronized void offerDocument(byte[] document) {
        if (isRepeat(digest(document))) {
            return;
        }
        try {
            CandidateKeys candidate = BundleParser.parse(document);
            sequenceRule.check(candidate.sequence());
            accept(KeyPolicy.publishable(candidate, markSignatureUse), candidate.sequence(), candidate.refreshHint());
        } catch (BundleRefusal refusal) {
            reject(refusal);
        }
    }

    @Override
    public synchronized void offerKeys(List<JWK> keys, OptionalLong sequence, OptionalLong refreshHint) {
        List<Map<String, Object>> entries = new ArrayList<>(keys.size());
        for (JWK key : keys) {
            entries.add(key.toJSONObject());
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("keys", entries);
        sequence.ifPresent(value -> document.put("spiffe_sequence", value));
        refreshHint.ifPresent(value -> document.put("spiffe_refresh_hint", value));
        if (isRepeat(digest(JSONObjectUtils.toJSONString(document).getBytes(StandardCharsets.UTF_8)))) {
            return;
        }
        try {
            sequenceRule.check(sequence);
            accept(KeyPolicy.publishable(new CandidateKeys(entries, sequence, refreshHint), markSignatureUse),
                    sequence, refreshHint);
        } catch (BundleRefusal refusal) {
            reject(refusal);
        }
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        lastInputDigest = null;
        reject(refusal);
    }

    @Override
    public synchronized void sourceUp(boolean streaming) {
        this.streaming = streaming;
        if (sourceState != SourceState.UP) {
            if (sourceState == SourceState.DOWN && sourceDownSince != null) {
                LOG.infof("Key source %s recovered after %d ms", sourceLabel,
                        Duration.between(sourceDownSince, clock.instant()).toMillis());
            } else {
                LOG.infof("Key source %s connected", sourceLabel);
            }
            sourceState = SourceState.UP;
            sourceDownSince = null;
        }
    }

    @Override
    public synchronized void sourceDown(String error) {
        Instant now = clock.instant();
        lastSourceError = error;
        // The connection is gone: the next one starts the sequence rule afresh, and may re-offer what was refused.
        sequenceRule.reset();
        lastInputDigest = null;
        if (sourceState == SourceState.UP && streaming && lastSync != null) {
            // A stream delivered every change up to this moment, so the keys were current until now.
            lastSync = now;
        }
        if (sourceState != SourceState.DOWN) {
            LOG.warnf("Key source %s down: %s; %s", sourceLabel, error, servingSummary());
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

    private void accept(List<JWK> keys, OptionalLong sequence, OptionalLong refreshHint) {
        lastSync = clock.instant();
        sequenceRule.accepted(sequence);
        long maxAge = rules.cacheLifetime().maxAgeSeconds(refreshHint);
        PublishedBundle previous = current;
        boolean sameKeys = previous != null && previous.sameKeysAs(keys);
        if (sameKeys && previous.maxAgeSeconds() == maxAge) {
            return;
        }
        PublishedBundle next = new PublishedBundle(keys, sameKeys ? previous.appliedAt() : clock.instant(), sequence,
                refreshHint, maxAge);
        current = next;
        if (sameKeys) {
            LOG.infof("Cache lifetime from %s now max-age=%d s%s, same keys %s", sourceLabel, maxAge, hintNote(refreshHint),
                    next.keyIds());
            return;
        }
        applied.incrementAndGet();
        LOG.infof("Bundle applied from %s: %d key(s) %s%s, max-age=%d s%s%s", sourceLabel, next.keyCount(), next.keyIds(),
                sequence.isPresent() ? " (sequence " + sequence.getAsLong() + ")" : "", maxAge, hintNote(refreshHint),
                previous == null ? "" : ", replacing " + previous.keyIds());
        warnOnKeyCount(previous, next);
    }

    private static String hintNote(OptionalLong refreshHint) {
        return refreshHint.isPresent() ? " (refresh hint " + refreshHint.getAsLong() + " s)" : "";
    }

    /**
     * AWS STS reads at most 100 keys of a JWKS and ignores the rest without an error, so tokens signed by a
     * key past that fail there while every other relying party accepts them. Once per crossing, each way.
     */
    private void warnOnKeyCount(PublishedBundle previous, PublishedBundle next) {
        boolean wasOver = previous != null && isOverKeyThreshold(previous);
        boolean over = isOverKeyThreshold(next);
        if (over && !wasOver) {
            LOG.warnf("Serving %d keys, more than spiffe-oidc.keys-warn-threshold=%d: relying parties that read only"
                    + " part of a key set (AWS STS reads 100) will refuse tokens signed by the keys they drop",
                    next.keyCount(), rules.keysWarnThreshold());
        } else if (wasOver && !over) {
            LOG.infof("Serving %d keys, back within spiffe-oidc.keys-warn-threshold=%d", next.keyCount(),
                    rules.keysWarnThreshold());
        }
    }

    private boolean isOverKeyThreshold(PublishedBundle bundle) {
        return bundle.keyCount() > rules.keysWarnThreshold();
    }

    /** Whether the served key set has more keys than the configured warning threshold. */
    public boolean overKeyThreshold() {
        PublishedBundle served = current;
        return served != null && isOverKeyThreshold(served);
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
            LOG.warnf("Bundle update from %s refused (%s): %s; %s", sourceLabel, refusal.reason().label(),
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
