package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import java.util.List;

/** Waits on what a publisher serves, failing with everything it knows about the source. */
public final class PublisherWaits {

    private final BundlePublisher publisher;
    private final java.util.function.Supplier<String> origin;

    /** @param origin what the fake on the other end has seen, appended to failure messages */
    public PublisherWaits(BundlePublisher publisher, java.util.function.Supplier<String> origin) {
        this.publisher = publisher;
        this.origin = origin;
    }

    public void served(String... kids) {
        List<String> expected = List.of(kids);
        Await.until("keys " + expected + " served", () -> {
            PublishedBundle current = publisher.current();
            return current != null && current.keyIds().equals(expected);
        }, this::state);
    }

    public void state(SourceState state) {
        Await.until("source " + state.label(), () -> publisher.sourceState() == state, this::state);
    }

    public void refused(RefusalReason reason) {
        Await.until(reason.label() + " refusal", () -> publisher.refusedCount(reason) > 0, this::state);
    }

    public String state() {
        PublishedBundle current = publisher.current();
        return "source " + publisher.sourceState().label() + " (" + publisher.lastSourceError().orElse("no error")
                + "), serving " + (current == null ? "nothing" : current.keyIds()) + ", last refusal "
                + publisher.lastRefusal().map(Object::toString).orElse("none") + ", " + origin.get();
    }
}
