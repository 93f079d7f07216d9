package io.spiffeoidc.bundle;

import com.nimbusds.jose.jwk.JWK;
import io.spiffeoidc.logging.LogSanitiser;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The one place where candidate bundles become the served key set. Validates every candidate, swaps the
 * published snapshot atomically, keeps the last good one on any refusal, and records the state that
 * health checks, metrics and logs report. Writers are serialised; readers only read volatile fields.
 *
 * <p>Two things take keys away without a new candidate: a key's expiry (a timer re-publishes the set
 * without it at that instant, whether or not the source still answers) and a source that declares every
 * authority tainted (nothing is served rather than keys the operator declared compromised).
 */
public final class BundlePublisher implements BundleSink {

    private static final Logger LOG = Logger.getLogger(BundlePublisher.class);

    private final String sourceLabel;
    private final String trustDomain;
    private final boolean markSignatureUse;
    private final Clock clock;
    private final PublicationRules rules;
    private final boolean servesSpiffeBundle;

    private volatile PublishedBundle current;
    private volatile SourceState sourceState = SourceState.STARTING;
    private volatile boolean streaming;
    private volatile String lastSourceError;
    private volatile Instant lastSync;
    private volatile BundleRefusal lastRefusal;
    private volatile boolean latestRefused;
    private volatile String withdrawal;
    private volatile Instant sourceDownSince;
    // A trust domain the source stopped delivering: its keys stay served until the grace period ends.
    private volatile Instant absentSince;
    private volatile boolean withdrawn;
    // The last good X.509 authorities: kept apart from the JWT side, which never waits for them.
    private volatile X509Authorities x509;

    private final AtomicLong applied = new AtomicLong();
    private final Map<RefusalReason, AtomicLong> refused = new EnumMap<>(RefusalReason.class);

    // Guarded by this. The digest of the latest candidate, whatever stage judged it: a source may re-offer
    // the same content on every poll without it being re-counted or re-logged.
    private byte[] lastInputDigest;
    private ScheduledFuture<?> expiryTimer;
    // Guarded by this.
    private final SequenceRule sequenceRule = new SequenceRule();
    // Guarded by this: the latest X.509 candidate, so a polled repeat is neither re-counted nor re-logged.
    private byte[] lastX509Digest;

    public BundlePublisher(String sourceLabel, boolean markSignatureUse, Clock clock) {
        this(sourceLabel, "", markSignatureUse, clock, PublicationRules.DEFAULT);
    }

    public BundlePublisher(String sourceLabel, boolean markSignatureUse, Clock clock, PublicationRules rules) {
        this(sourceLabel, "", markSignatureUse, clock, rules);
    }

    /** @param trustDomain named in every log line; empty when the service publishes one trust domain */
    public BundlePublisher(String sourceLabel, String trustDomain, boolean markSignatureUse, Clock clock) {
        this(sourceLabel, trustDomain, markSignatureUse, clock, PublicationRules.DEFAULT);
    }

    public BundlePublisher(String sourceLabel, String trustDomain, boolean markSignatureUse, Clock clock,
            PublicationRules rules) {
        this(sourceLabel, trustDomain, markSignatureUse, clock, rules, false);
    }

    /**
     * @param servesSpiffeBundle whether this trust domain has a SPIFFE bundle endpoint: only then are X.509
     *                           authorities taken and the bundle document prepared
     */
    public BundlePublisher(String sourceLabel, String trustDomain, boolean markSignatureUse, Clock clock,
            PublicationRules rules, boolean servesSpiffeBundle) {
        this.servesSpiffeBundle = servesSpiffeBundle;
        this.sourceLabel = sourceLabel;
        this.trustDomain = trustDomain;
        this.markSignatureUse = markSignatureUse;
        this.clock = clock;
        this.rules = rules;
        for (RefusalReason reason : RefusalReason.values()) {
            refused.put(reason, new AtomicLong());
        }
    }

    /** The key set being served, or null before the first valid bundle and while nothing may be served. */
    public PublishedBundle current() {
        return current;
    }

    @Override
    public synchronized void offerDocument(byte[] document) {
        if (isRepeat(digest(document))) {
            return;
        }
        CandidateKeys candidate;
        try {
            candidate = BundleParser.parse(document);
            sequenceRule.check(candidate.sequence());
            accept(KeyPolicy.publishable(candidate, markSignatureUse), Map.of(), candidate.sequence(), candidate.refreshHint());
        } catch (BundleRefusal refusal) {
            // Refused as a whole (one line): its X.509 authorities are not trusted either.
            reject(refusal);
            return;
        }
        List<Map<String, Object>> x509Members = candidate.entries().stream()
                .filter(entry -> X509Authorities.X509_SVID.getValue().equals(entry.get("use"))).toList();
        // A plain JWKS (the agent's JWT bundles) has no X.509 members and leaves the known ones alone.
        if (servesSpiffeBundle && !x509Members.isEmpty()) {
            try {
                applyX509(X509Authorities.ofMembers(x509Members));
            } catch (BundleRefusal refusal) {
                rejectX509(refusal);
            }
        }
    }

    @Override
    public synchronized void offerX509Authorities(List<byte[]> certificates) {
        if (!servesSpiffeBundle) {
            return;
        }
        MessageDigest sha = sha256();
        for (byte[] blob : certificates) {
            sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(blob.length).array());
            sha.update(blob);
        }
        byte[] inputDigest = sha.digest();
        if (lastX509Digest != null && Arrays.equals(lastX509Digest, inputDigest)) {
            return;
        }
        lastX509Digest = inputDigest;
        try {
            applyX509(X509Authorities.of(certificates));
        } catch (BundleRefusal refusal) {
            rejectX509(refusal);
        }
    }

    /** The X.509 authorities served with the JWT keys in the SPIFFE bundle, if any are known yet. */
    public Optional<X509Authorities> x509Authorities() {
        return Optional.ofNullable(x509);
    }

    private void applyX509(X509Authorities next) {
        X509Authorities previous = x509;
        if (next.sameAs(previous)) {
            return;
        }
        x509 = next;
        PublishedBundle served = current;
        if (served != null) {
            publish(served.withX509(next));
        }
        LOG.infof("X.509 authorities applied from %s: %d certificate(s) %s%s", from(), next.count(),
                kidList(next.subjects()), previous == null ? "" : ", replacing " + kidList(previous.subjects()));
    }

    /** Counted like every refusal; the last good X.509 authorities and the JWT keys stay as they are. */
    private void rejectX509(BundleRefusal refusal) {
        refused.get(refusal.reason()).incrementAndGet();
        lastRefusal = refusal;
        X509Authorities kept = x509;
        LOG.warnf("X.509 authorities from %s refused (%s): %s; %s", from(), refusal.reason().label(), refusal.detail(),
                kept == null ? "no X.509 authorities served yet" : "still serving " + kidList(kept.subjects()));
    }

    @Override
    public synchronized void offerAuthorities(List<JwtAuthority> authorities, OptionalLong sequence, OptionalLong refreshHint) {
        if (isRepeat(digest(authorities, sequence, refreshHint))) {
            return;
        }
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
                withdraw("every JWT authority is tainted " + kidList(tainted));
                return;
            }
            sequenceRule.check(sequence);
            List<JWK> keys = KeyPolicy.publishable(new CandidateKeys(entries, sequence, refreshHint), markSignatureUse);
            Instant now = clock.instant();
            List<JWK> live = keys.stream().filter(key -> !expired(expiries.get(key.getKeyID()), now)).toList();
            if (live.isEmpty()) {
                withdraw("every JWT authority has expired " + kidList(keys.stream().map(JWK::getKeyID).toList()));
                return;
            }
            accept(live, expiries, sequence, refreshHint);
        } catch (BundleRefusal refusal) {
            // A taint is the operator's word on one key: it holds even when the rest of the bundle is unusable.
            dropServed(tainted, "tainted");
            reject(refusal);
        }
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        if (isRepeat(digest(("refusal\n" + refusal.reason().label() + "\n" + refusal.detail()).getBytes(StandardCharsets.UTF_8)))) {
            return;
        }
        reject(refusal);
    }

    /**
     * The key set to answer requests with: {@link #current()}, except after the trust domain has been
     * missing from the source for longer than its grace period, when it is null.
     */
    public PublishedBundle served() {
        return withdrawn ? null : current;
    }

    /**
     * The source answered but holds no bundle for this trust domain. Counted and logged as a refusal; the
     * last good keys stay served until {@link #withdrawIfAbsentFor(Duration)} ends the grace period.
     */
    @Override
    public synchronized void absent(String detail) {
        if (absentSince == null) {
            absentSince = clock.instant();
        }
        refuse(new BundleRefusal(RefusalReason.TRUST_DOMAIN_MISSING, detail));
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
        PublishedBundle kept = current;
        LOG.warnf("Trust domain %s missing from %s for %d s, longer than the grace period of %d s: no longer serving %s",
                trustDomainLabel(), sourceLabel, Duration.between(since, clock.instant()).toSeconds(), grace.toSeconds(),
                kept == null ? "any keys" : kidList(kept.keyIds()));
    }

    /** When the source last stopped delivering this trust domain's bundle, if it has not delivered one since. */
    public Optional<Instant> absentSince() {
        return Optional.ofNullable(absentSince);
    }

    /** True once a missing trust domain outlived its grace period and its keys are no longer served. */
    public boolean withdrawn() {
        return withdrawn;
    }

    /** The trust domain named in logs; empty for a service that publishes one. */
    public String trustDomain() {
        return trustDomain;
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
        String line = LogSanitiser.clean(error);
        lastSourceError = line;
        // The connection is gone: the next one starts the sequence rule afresh, and may re-offer what was refused.
        sequenceRule.reset();
        lastInputDigest = null;
        if (sourceState == SourceState.UP && streaming && lastSync != null) {
            // A stream delivered every change up to this moment, so the keys were current until now.
            lastSync = now;
        }
        if (sourceState != SourceState.DOWN) {
            LOG.warnf("Key source %s down: %s; %s", from(), line, servingSummary());
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

    private void accept(List<JWK> keys, Map<String, Instant> expiries, OptionalLong sequence, OptionalLong refreshHint) {
        lastSync = clock.instant();
        sequenceRule.accepted(sequence);
        long maxAge = rules.cacheLifetime().maxAgeSeconds(refreshHint);
        latestRefused = false;
        returned();
        Map<String, Instant> served = new HashMap<>();
        for (JWK key : keys) {
            Instant expiry = expiries.get(key.getKeyID());
            if (expiry != null) {
                served.put(key.getKeyID(), expiry);
            }
        }
        PublishedBundle previous = current;
        if (previous != null && previous.sameKeysAs(keys)) {
            if (previous.maxAgeSeconds() != maxAge) {
                publish(new PublishedBundle(keys, served, previous.appliedAt(), sequence, refreshHint, maxAge, x509));
                LOG.infof("Cache lifetime from %s now max-age=%d s%s, same keys %s", from(), maxAge,
                        hintNote(refreshHint), kidList(previous.keyIds()));
            } else if (servesSpiffeBundle && !previous.sequence().equals(sequence)) {
                // The SPIFFE bundle carries the sequence number, which moves with X.509 changes too.
                publish(new PublishedBundle(keys, served, previous.appliedAt(), sequence, refreshHint, maxAge, x509));
            } else if (!previous.expiries().equals(served)) {
                // Same keys and bytes, new expiry dates: not a change anyone sees until a key expires.
                publish(new PublishedBundle(keys, served, previous.appliedAt(), previous.sequence(), previous.refreshHint(),
                        previous.maxAgeSeconds(), x509));
            }
            return;
        }
        PublishedBundle next = new PublishedBundle(keys, served, clock.instant(), sequence, refreshHint, maxAge, x509);
        publish(next);
        applied.incrementAndGet();
        LOG.infof("Bundle applied from %s: %d key(s) %s%s, max-age=%d s%s%s", from(), next.keyCount(),
                kidList(next.keyIds()), sequence.isPresent() ? " (sequence " + sequence.getAsLong() + ")" : "", maxAge,
                hintNote(refreshHint), previous == null ? "" : ", replacing " + kidList(previous.keyIds()));
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
     * to serve. Refusals are alerted on through their counter, the latest-refused gauge and health data.
     */
    private void reject(BundleRefusal refusal) {
        lastSync = clock.instant();
        latestRefused = true;
        refused.get(refusal.reason()).incrementAndGet();
        lastRefusal = refusal;
        LOG.warnf("Bundle update from %s refused (%s): %s; %s", from(), refusal.reason().label(),
                refusal.detail(), servingSummary());
    }

    /** The source answered, and what it said is that none of its keys may be served any more. */
    private void withdraw(String reason) {
        lastSync = clock.instant();
        latestRefused = false;
        stopServing(reason);
    }

    private void stopServing(String reason) {
        PublishedBundle previous = current;
        String before = withdrawal;
        // The reason first: a reader that sees no keys must also see why, never "no keys yet".
        withdrawal = reason;
        current = null;
        cancelExpiryTimer();
        if (!reason.equals(before) || previous != null) {
            LOG.warnf("Serving no keys from %s: %s%s", from(), reason,
                    previous == null ? "" : "; withdrew " + kidList(previous.keyIds()));
        }
    }

    /** Takes {@code kids} out of the served set at once; serves nothing if no key is left. */
    private void dropServed(Collection<String> kids, String why) {
        PublishedBundle served = current;
        if (served == null || kids.isEmpty() || served.keyIds().stream().noneMatch(kids::contains)) {
            return;
        }
        List<JWK> kept = served.keys().stream().filter(key -> !kids.contains(key.getKeyID())).toList();
        List<String> dropped = served.keyIds().stream().filter(kids::contains).toList();
        if (kept.isEmpty()) {
            stopServing("every served key is " + why + " " + kidList(dropped));
            return;
        }
        Map<String, Instant> expiries = new HashMap<>(served.expiries());
        expiries.keySet().removeAll(kids);
        PublishedBundle next = new PublishedBundle(kept, expiries, clock.instant(), served.sequence(), served.refreshHint(),
                served.maxAgeSeconds(), x509);
        publish(next);
        LOG.warnf("Key(s) %s from %s %s: no longer served; serving %s", kidList(dropped), from(), why,
                kidList(next.keyIds()));
    }

    private void publish(PublishedBundle next) {
        current = next;
        withdrawal = null;
        cancelExpiryTimer();
        next.nextExpiry().ifPresent(at -> {
            long delay = Math.max(0, Duration.between(clock.instant(), at).toNanos());
            expiryTimer = ExpiryTimer.INSTANCE.schedule(this::expireDue, delay, TimeUnit.NANOSECONDS);
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
        PublishedBundle served = current;
        if (served == null) {
            return;
        }
        Instant now = clock.instant();
        List<String> due = served.expiries().entrySet().stream().filter(e -> expired(e.getValue(), now))
                .map(Map.Entry::getKey).sorted().toList();
        if (due.isEmpty()) {
            publish(served); // woke a little early: wait for the same instant again
            return;
        }
        dropServed(due, "expired");
    }

    private static boolean expired(Instant expiry, Instant now) {
        return expiry != null && !expiry.isAfter(now);
    }

    private String servingSummary() {
        PublishedBundle served = current;
        return served == null ? "no keys served" + (withdrawal == null ? " yet" : "")
                : "still serving " + kidList(served.keyIds());
    }

    private static String kidList(Collection<String> kids) {
        return kids.stream().map(LogSanitiser::clean).collect(Collectors.joining(", ", "[", "]"));
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

    /** Whether the latest candidate the source handed over was refused; cleared by the next good one. */
    public boolean latestRefused() {
        return latestRefused;
    }

    /** Why nothing is served although keys were received (every authority tainted or expired), if so. */
    public Optional<String> withdrawal() {
        return Optional.ofNullable(withdrawal);
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
        return sha256().digest(input);
    }

    private static byte[] digest(List<JwtAuthority> authorities, OptionalLong sequence, OptionalLong refreshHint) {
        MessageDigest sha = sha256();
        sha.update(ByteBuffer.allocate(Long.BYTES * 2).putLong(sequence.orElse(Long.MIN_VALUE))
                .putLong(refreshHint.orElse(Long.MIN_VALUE)).array());
        for (JwtAuthority authority : authorities) {
            byte[] kid = authority.keyId().getBytes(StandardCharsets.UTF_8);
            byte[] der = authority.publicKey();
            sha.update(ByteBuffer.allocate(Integer.BYTES * 2 + Long.BYTES + 1)
                    .putInt(kid.length).putInt(der.length)
                    .putLong(authority.expiresAt().map(Instant::getEpochSecond).orElse(Long.MIN_VALUE))
                    .put((byte) (authority.tainted() ? 1 : 0))
                    .array());
            sha.update(kid);
            sha.update(der);
        }
        return sha.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }

    /** One daemon thread for every publisher's expiry timer: it only takes the publisher's lock and swaps a reference. */
    private static final class ExpiryTimer {
        static final ScheduledThreadPoolExecutor INSTANCE = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread thread = new Thread(runnable, "bundle-key-expiry");
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
            return timer;
        }
    }
}
