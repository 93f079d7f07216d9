package io.spiffeoidc.source;

import io.spiffeoidc.bundle.AuthorityBundle;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import java.util.List;

/**
 * A sink that goes silent for good once closed. gRPC callbacks and scheduled retries can still be in
 * flight while a source shuts down; closing under the same lock every delivery takes guarantees that
 * nothing reaches the publisher after {@link BundleSource#close()} returns.
 */
final class ClosableSink implements BundleSink {

    private final BundleSink delegate;
    private boolean closed;

    ClosableSink(BundleSink delegate) {
        this.delegate = delegate;
    }

    synchronized void close() {
        closed = true;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void offerDocument(byte[] document) {
        if (!closed) {
            delegate.offerDocument(document);
        }
    }

    @Override
    public synchronized void offerAuthorities(AuthorityBundle bundle) {
        if (!closed) {
            delegate.offerAuthorities(bundle);
        }
    }

    @Override
    public synchronized void offerX509Authorities(List<byte[]> certificates) {
        if (!closed) {
            delegate.offerX509Authorities(certificates);
        }
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        if (!closed) {
            delegate.refuse(refusal);
        }
    }

    @Override
    public synchronized void absent(String detail) {
        if (!closed) {
            delegate.absent(detail);
        }
    }

    @Override
    public synchronized void sourceUp(boolean streaming) {
        if (!closed) {
            delegate.sourceUp(streaming);
        }
    }

    @Override
    public synchronized void sourceDown(String error) {
        if (!closed) {
            delegate.sourceDown(error);
        }
    }
}
