package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.AuthorityBundle;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands everything on to a real sink (the publisher) and counts what passed, so a test can tell how often
 * a source polled or failed. {@link #failNextSourceDown()} makes one report throw, as an unexpected bug
 * in the sink would, before it reaches the delegate. Subclasses add their own observations.
 */
public class ForwardingSink implements BundleSink {

    private final BundleSink delegate;
    private final AtomicInteger documents = new AtomicInteger();
    private final AtomicInteger largestDocument = new AtomicInteger();
    private final AtomicInteger downs = new AtomicInteger();
    private final AtomicInteger failuresToInject = new AtomicInteger();

    public ForwardingSink(BundleSink delegate) {
        this.delegate = delegate;
    }

    public void failNextSourceDown() {
        failuresToInject.incrementAndGet();
    }

    public int documents() {
        return documents.get();
    }

    public int largestDocument() {
        return largestDocument.get();
    }

    public int downs() {
        return downs.get();
    }

    @Override
    public void offerDocument(byte[] document) {
        largestDocument.accumulateAndGet(document.length, Math::max);
        delegate.offerDocument(document);
        documents.incrementAndGet();
    }

    @Override
    public void offerAuthorities(AuthorityBundle bundle) {
        delegate.offerAuthorities(bundle);
    }

    @Override
    public void offerX509Authorities(List<byte[]> certificates) {
        delegate.offerX509Authorities(certificates);
    }

    @Override
    public void refuse(BundleRefusal refusal) {
        delegate.refuse(refusal);
    }

    @Override
    public void absent(String detail) {
        delegate.absent(detail);
    }

    @Override
    public void sourceUp(boolean streaming) {
        delegate.sourceUp(streaming);
    }

    @Override
    public void sourceDown(String error) {
        downs.incrementAndGet();
        if (failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("injected failure in sourceDown");
        }
        delegate.sourceDown(error);
    }
}
