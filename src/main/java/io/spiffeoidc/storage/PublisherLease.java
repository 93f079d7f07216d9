package io.spiffeoidc.storage;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Takes turns between instances publishing to one store, through one small object changed only by
 * conditional writes: at most one instance writes documents at a time, whatever the interleaving.
 *
 * <p>No clocks are compared between instances. The holder renews the lease every quarter of its
 * duration, which changes the object's entity tag. Another instance takes the lease over only after it has
 * seen the same entity tag for a whole duration on its own monotonic clock, and only with If-Match on that
 * tag, so of several contenders one wins. The holder writes only until half a duration after it sent its
 * last successful renewal: a contender's first sight of that renewal comes after it was sent, so the
 * holder has stopped well before any takeover, as long as the two clocks run at about the same rate.
 * A released lease (on shutdown) may be taken at once.
 */
final class PublisherLease {

    private final ObjectStore store;
    private final String key;
    private final String holder;
    private final long durationNanos;
    private final LongSupplier nanoTime;

    private Optional<String> heldEtag = Optional.empty();
    private long validUntil;
    private long renewAt;
    private String observedEtag;
    private long observedSince;
    private String observedHolder = "";
    private long terms;

    PublisherLease(ObjectStore store, String key, String holder, Duration duration, LongSupplier nanoTime) {
        this.store = store;
        this.key = key;
        this.holder = holder;
        this.durationNanos = duration.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Whether this instance may write documents now. */
    boolean held() {
        return heldEtag.isPresent() && nanoTime.getAsLong() - validUntil < 0;
    }

    /** The instance named in the lease last read, when another holds it. */
    String otherHolder() {
        return observedHolder;
    }

    /**
     * Renews the lease when due, or tries to take it; true when this instance holds it afterwards.
     *
     * @throws StoreException when the store cannot be read or written; the lease is kept until it runs out
     */
    boolean holdOrTake() throws StoreException {
        long now = nanoTime.getAsLong();
        if (heldEtag.isPresent()) {
            if (now - renewAt < 0 && now - validUntil < 0) {
                return true;
            }
            try {
                renew(now, heldEtag.get());
                return true;
            } catch (StoreException e) {
                if (e.reason() == StoreException.Reason.CONFLICT) {
                    heldEtag = Optional.empty(); // taken over: it ran out while we could not renew
                    observedEtag = null;
                    return false;
                }
                if (nanoTime.getAsLong() - validUntil >= 0) {
                    heldEtag = Optional.empty();
                }
                throw e;
            }
        }
        Optional<StoredObject> current = store.read(key);
        if (current.isEmpty()) {
            return take(now, Precondition.absent());
        }
        String etag = current.get().etag();
        Optional<String> currentHolder = holderOf(current.get().body());
        if (currentHolder.isEmpty() || currentHolder.get().equals(holder)) {
            // released, unreadable, or ours from before a restart of this same instance name
            return take(now, Precondition.matching(etag));
        }
        observedHolder = currentHolder.get();
        if (!etag.equals(observedEtag)) {
            observedEtag = etag;
            observedSince = now;
            return false;
        }
        if (now - observedSince >= durationNanos) {
            return take(now, Precondition.matching(etag));
        }
        return false;
    }

    /** When to call {@link #holdOrTake()} next, in nanoseconds from now. */
    long nanosUntilDue() {
        long now = nanoTime.getAsLong();
        if (heldEtag.isPresent()) {
            return Math.max(0, renewAt - now);
        }
        return durationNanos / 4;
    }

    /** Gives the lease back so another instance can take it without waiting. */
    void release() {
        if (heldEtag.isEmpty()) {
            return;
        }
        try {
            store.write(key, body(Map.of("holder", "", "released", Instant.now().toString())),
                    Precondition.matching(heldEtag.get()));
        } catch (StoreException e) {
            // it runs out by itself
        }
        heldEtag = Optional.empty();
    }

    /** How many times this instance has taken the lease: a new term means what it confirmed before may have changed. */
    long terms() {
        return terms;
    }

    private boolean take(long now, Precondition precondition) throws StoreException {
        try {
            write(now, precondition);
            terms++;
            observedEtag = null;
            observedHolder = "";
            return true;
        } catch (StoreException e) {
            if (e.reason() == StoreException.Reason.CONFLICT) {
                observedEtag = null; // someone else was quicker: watch their lease from now
                observedHolder = "another instance";
                return false;
            }
            throw e;
        }
    }

    private void renew(long now, String etag) throws StoreException {
        write(now, Precondition.matching(etag));
    }

    private void write(long sentAt, Precondition precondition) throws StoreException {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("holder", holder);
        content.put("renewed", Instant.now().toString());
        content.put("duration_seconds", Duration.ofNanos(durationNanos).toSeconds());
        String etag = store.write(key, body(content), precondition);
        heldEtag = Optional.of(etag);
        validUntil = sentAt + durationNanos / 2;
        renewAt = sentAt + durationNanos / 4;
    }

    private static ObjectWrite body(Map<String, ?> content) {
        return new ObjectWrite(JSONObjectUtils.toJSONString(new LinkedHashMap<>(content)).getBytes(StandardCharsets.UTF_8),
                "application/json", "no-store", Map.of());
    }

    private static Optional<String> holderOf(byte[] body) {
        try {
            String name = JSONObjectUtils.getString(JSONObjectUtils.parse(new String(body, StandardCharsets.UTF_8)), "holder");
            return name == null || name.isEmpty() ? Optional.empty() : Optional.of(name);
        } catch (ParseException e) {
            return Optional.empty();
        }
    }
}
