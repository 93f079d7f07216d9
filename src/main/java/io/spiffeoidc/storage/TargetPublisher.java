package io.spiffeoidc.storage;

import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.config.Target;
import io.spiffeoidc.crypto.Sha256;
import io.spiffeoidc.logging.LogSanitiser;
import io.spiffeoidc.storage.StaticDocuments.Document;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * Keeps one target's objects equal to one trust domain's served snapshot. It only ever writes the
 * snapshot's prepared bytes, and in an order that never shows a relying party an older or inconsistent
 * issuer:
 * <ul>
 * <li>the JWKS first, then the SPIFFE bundle, then the discovery document, each only when its bytes
 * changed, so whoever reads discovery and then the JWKS gets a JWKS at least as new;</li>
 * <li>every write conditional on the version just read (or on there being none), and on holding the
 * {@link PublisherLease}, so instances take turns and none overwrites what it has not seen;</li>
 * <li>a stored JWKS is replaced only when it is not newer than this instance's: by spiffe_sequence where
 * both have one, else when this instance has itself served that key set ({@link KeySetHistory}); a key set
 * it has never served waits for its own source to deliver it, and is replaced only after adopt-after.</li>
 * </ul>
 * While the store fails, what it holds stays as it is; retries back off exponentially up to the target's
 * maximum. One log line per change of state, never one per retry.
 */
public final class TargetPublisher {

    private static final Logger LOG = Logger.getLogger(TargetPublisher.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    /** Writes lost to another writer in one round before the round counts as failed and backs off. */
    private static final int ATTEMPTS = 3;
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** How often objects the store is known to hold are read again, so one edited or removed by hand is repaired. */
    private static final long RECHECK_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final Target target;
    private final ObjectStore store;
    private final PublishedView view;
    private final PublisherLease lease;
    private final KeySetHistory history = new KeySetHistory();
    private final Semaphore wake = new Semaphore(0);
    private final Clock clock;
    private volatile TargetStatus status;
    private volatile boolean running;
    private Thread thread;

    // Only the publishing thread touches these.
    private volatile String confirmed;
    private long confirmedAt;
    private long term;
    private String unknownStored;
    private long unknownSince;
    private int failuresInRow;
    private long retryAt;
    private String lastNote = "";

    public TargetPublisher(Target target, ObjectStore store, PublishedView view, String instance, Clock clock) {
        this.target = target;
        this.store = store;
        this.view = view;
        this.clock = clock;
        this.status = TargetStatus.initial(clock);
        this.lease = new PublisherLease(store, target.leaseObject(), instance, target.leaseDuration(), System::nanoTime);
        view.onChange(this::changed);
        changed();
    }

    public Target target() {
        return target;
    }

    public String storeName() {
        return store.describe();
    }

    public TargetStatus status() {
        return status;
    }

    public synchronized void start() {
        running = true;
        thread = new Thread(this::run, "static-issuer-" + target.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops publishing and gives the lease back; waits a few seconds for a write in flight. */
    public void stop() {
        running = false;
        wake.release();
        Thread running = thread;
        if (running != null) {
            try {
                running.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }

    /** On the bundle publisher's thread: record the key set and wake the publishing thread, nothing more. */
    private void changed() {
        Optional<String> digest = StaticDocuments.currentDigest(view);
        digest.ifPresent(history::record);
        if (digest.isPresent() && !digest.get().equals(confirmedDigest())) {
            update(s -> s.phase() == TargetStatus.Phase.STANDING_BY ? s : s.behind(clock.instant()));
        }
        wake.release();
    }

    private String confirmedDigest() {
        String known = confirmed;
        return known == null ? null : known.substring(0, known.indexOf(' '));
    }

    private void run() {
        try {
            while (running) {
                long waitNanos = step();
                if (!running) {
                    break;
                }
                wake.tryAcquire(Math.max(waitNanos, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
                wake.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lease.release();
        }
    }

    /** One round; returns how long until the next one is due at the latest. */
    private long step() {
        long now = System.nanoTime();
        if (failuresInRow > 0 && now - retryAt < 0) {
            return retryAt - now;
        }
        try {
            boolean holding = lease.holdOrTake();
            update(s -> s.lease(holding));
            if (holding && lease.terms() != term) {
                term = lease.terms();
                confirmed = null;
                LOG.infof("Static issuer %s: holding the publisher lease of %s", target.name(), store.describe());
            }
            if (!holding) {
                confirmed = null;
                update(TargetStatus::standingBy);
                note(TargetStatus.Phase.STANDING_BY, "instance " + LogSanitiser.clean(lease.otherHolder(), 100)
                        + " holds the publisher lease; standing by");
                recovered();
                return lease.nanosUntilDue();
            }
            Optional<StaticDocuments> documents = StaticDocuments.of(view, target);
            if (documents.isEmpty()) {
                note(TargetStatus.Phase.WAITING_FOR_KEYS, "holding the publisher lease; no key set validated yet");
                recovered();
                return lease.nanosUntilDue();
            }
            long wait = publish(documents.get());
            recovered();
            return Math.min(wait, lease.nanosUntilDue());
        } catch (StoreException e) {
            return failed(e);
        } catch (RuntimeException e) {
            // a client library's surprise must not end publication: counted and retried like any failure
            return failed(new StoreException(StoreException.Reason.REFUSED, e.toString()));
        }
    }

    private long publish(StaticDocuments documents) throws StoreException {
        String wanted = documents.jwks().digest() + " " + documents.discovery().map(Document::digest).orElse("-") + " "
                + documents.bundle().map(Document::digest).orElse("-");
        if (wanted.equals(confirmed) && System.nanoTime() - confirmedAt < RECHECK_NANOS) {
            return IDLE_NANOS;
        }
        for (int attempt = 1;; attempt++) {
            try {
                Optional<Long> waiting = publishOnce(documents);
                if (waiting.isPresent()) {
                    return waiting.get();
                }
                confirmed = wanted;
                confirmedAt = System.nanoTime();
                return IDLE_NANOS;
            } catch (StoreException e) {
                if (e.reason() != StoreException.Reason.CONFLICT || attempt >= ATTEMPTS) {
                    throw e;
                }
                update(s -> s.conflictLost());
            }
        }
    }

    /** Empty when done; else how long to wait for this instance's source to catch up with the store. */
    private Optional<Long> publishOnce(StaticDocuments documents) throws StoreException {
        Optional<StoredObject> jwks = store.read(target.jwksObject());
        boolean wrote = false;
        if (jwks.isEmpty() || !Sha256.base64Url(jwks.get().body()).equals(documents.jwks().digest())) {
            if (jwks.isPresent()) {
                Optional<Long> waiting = mayReplace(jwks.get(), documents);
                if (waiting.isPresent()) {
                    return waiting;
                }
            }
            if (!StaticDocuments.currentDigest(view).equals(Optional.of(documents.jwks().digest()))) {
                // A newer set was served since this round began, and may be the stored one that mayReplace
                // just found in the history: the view shows a set before the history records it, so this
                // check after that one sees it. Start the round again with the newer set.
                return Optional.of(0L);
            }
            write(target.jwksObject(), documents.jwks(), documents, Precondition.replacing(jwks));
            wrote = true;
        }
        unknownStored = null;
        if (documents.bundle().isPresent()) {
            wrote |= writeIfChanged(target.bundleObject().orElseThrow(), documents.bundle().get(), documents);
        }
        if (documents.discovery().isPresent()) {
            wrote |= writeIfChanged(target.discoveryObject(), documents.discovery().get(), documents);
        }
        boolean stillCurrent = StaticDocuments.currentDigest(view).equals(Optional.of(documents.jwks().digest()));
        if (!stillCurrent) {
            wake.release(); // a newer snapshot arrived meanwhile: next round
        }
        if (wrote) {
            update(s -> stillCurrent ? s.published(clock.instant()) : s.published(clock.instant()).behind(clock.instant()));
            lastNote = "";
            LOG.infof("Static issuer %s: published %s to %s", target.name(), documents.describeKeys(), store.describe());
        } else {
            note(TargetStatus.Phase.CURRENT, "the store already holds " + documents.describeKeys());
            update(s -> stillCurrent ? s.current() : s);
        }
        return Optional.empty();
    }

    /**
     * Whether the stored key set may be replaced by this instance's; empty when it may, else how long to
     * wait before asking again.
     */
    private Optional<Long> mayReplace(StoredObject stored, StaticDocuments documents) {
        OptionalLong storedSequence = sequence(stored.metadata().get(TargetMetadata.SEQUENCE));
        String storedDigest = Sha256.base64Url(stored.body());
        boolean bySequence = storedSequence.isPresent() && documents.sequence().isPresent();
        if (bySequence) {
            if (documents.sequence().getAsLong() >= storedSequence.getAsLong()) {
                return Optional.empty();
            }
        } else if (history.knows(storedDigest)) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        if (!storedDigest.equals(unknownStored)) {
            unknownStored = storedDigest;
            unknownSince = now;
        }
        long waited = now - unknownSince;
        long patience = target.adoptAfter().toNanos();
        if (waited >= patience && !bySequence) {
            LOG.warnf("Static issuer %s: %s held a key set this instance never validated for %s; replacing it with %s",
                    target.name(), store.describe(), target.adoptAfter(), documents.describeKeys());
            return Optional.empty();
        }
        if (bySequence) {
            // A higher spiffe_sequence is newer by the bundle's own account: never replaced by an older one.
            note(TargetStatus.Phase.CATCHING_UP, store.describe() + " holds spiffe_sequence " + storedSequence.getAsLong()
                    + ", newer than this instance's " + documents.sequence().getAsLong()
                    + "; waiting for its own source to deliver it");
            return Optional.of(TimeUnit.SECONDS.toNanos(1));
        }
        note(TargetStatus.Phase.CATCHING_UP, store.describe() + " holds a key set this instance has not validated"
                + "; waiting up to " + target.adoptAfter() + " for its own source to deliver it");
        return Optional.of(Math.min(patience - waited, TimeUnit.SECONDS.toNanos(1)));
    }

    private boolean writeIfChanged(String key, Document document, StaticDocuments documents) throws StoreException {
        Optional<StoredObject> current = store.read(key);
        if (current.isPresent() && Arrays.equals(current.get().body(), document.body())) {
            return false;
        }
        write(key, document, documents, Precondition.replacing(current));
        return true;
    }

    private void write(String key, Document document, StaticDocuments documents, Precondition precondition)
            throws StoreException {
        if (!lease.held()) {
            throw StoreException.conflict("the publisher lease ran out before " + key + " was written");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(TargetMetadata.DIGEST, document.digest());
        documents.sequence().ifPresent(sequence -> metadata.put(TargetMetadata.SEQUENCE, Long.toString(sequence)));
        if (!target.issuer().trustDomain().isEmpty()) {
            metadata.put(TargetMetadata.TRUST_DOMAIN, target.issuer().trustDomain());
        }
        store.write(key, new ObjectWrite(document.body(), "application/json", documents.cacheControl(), metadata),
                precondition);
    }

    private long failed(StoreException e) {
        boolean entering = status.phase() != TargetStatus.Phase.FAILING;
        update(s -> s.failed(e.reason()).lease(lease.held()));
        failuresInRow++;
        long backoff = Math.min(target.retryBackoffMax().toNanos(),
                FIRST_RETRY.toNanos() << Math.min(failuresInRow - 1, 20));
        long delay = (long) (backoff * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        retryAt = System.nanoTime() + delay;
        if (entering) {
            lastNote = "";
            LOG.warnf("Static issuer %s: %s; the store keeps what it holds, retrying with backoff up to %s", target.name(),
                    LogSanitiser.clean(e.getMessage(), 400), target.retryBackoffMax());
        }
        return delay;
    }

    private void recovered() {
        if (failuresInRow > 0) {
            LOG.infof("Static issuer %s: %s answers again after %d failed attempts", target.name(), store.describe(),
                    failuresInRow);
            failuresInRow = 0;
        }
    }

    /** Moves to {@code phase}, with one log line when the situation it describes is new. */
    private void note(TargetStatus.Phase phase, String situation) {
        update(s -> s.with(phase));
        if (!situation.equals(lastNote)) {
            lastNote = situation;
            LOG.infof("Static issuer %s: %s", target.name(), situation);
        }
    }

    private synchronized void update(UnaryOperator<TargetStatus> change) {
        status = change.apply(status);
    }

    private static OptionalLong sequence(String value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
