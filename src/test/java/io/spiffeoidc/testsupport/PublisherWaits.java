package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.PublishedBundle;
import io.spiffeoidc.bundle.PublishedView;
import io.spiffeoidc.bundle.PublisherStatus;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.bundle.SourceState;
import java.util.List;

/** Waits on what a publisher serves, failing with everything it knows about the source. */
public final class PublisherWaits {

    private final PublishedView view;
    private final java.util.function.Supplier<String> origin;

    /** @param origin what the fake on the other end has seen, appended to failure messages */
    public PublisherWaits(BundlePublisher publisher, java.util.function.Supplier<String> origin) {
        this.view = publisher.view();
        this.origin = origin;
    }

    public void served(String... kids) {
        List<String> expected = List.of(kids);
        Await.until("keys " + expected + " served", () -> {
            PublishedBundle current = view.served();
            return current != null && current.keyIds().equals(expected);
        }, this::state);
    }

    public void state(SourceState state) {
        Await.until("source " + state.label(), () -> view.status().source().state() == state, this::state);
    }

    public void refused(RefusalReason reason) {
        Await.until(reason.label() + " refusal", () -> view.status().refusals().count(reason) > 0, this::state);
    }

    public String state() {
        PublisherStatus status = view.status();
        PublishedBundle current = view.served();
        return "source " + status.source().state().label() + " (" + status.source().lastError().orElse("no error")
                + "), serving " + (current == null ? "nothing" : current.keyIds()) + ", last refusal "
                + status.refusals().last().map(Object::toString).orElse("none") + ", " + origin.get();
    }
}
