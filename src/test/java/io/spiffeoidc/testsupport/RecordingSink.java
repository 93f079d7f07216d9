package io.spiffeoidc.testsupport;

import io.spiffeoidc.bundle.AuthorityBundle;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.JwtAuthority;
import java.util.ArrayList;
import java.util.List;

/** Records what a source hands over, for tests about the source itself rather than about publication. */
public final class RecordingSink implements BundleSink {

    private final List<String> events = new ArrayList<>();
    private int documents;

    @Override
    public synchronized void offerDocument(byte[] document) {
        documents++;
        events.add("document " + document.length + " bytes");
    }

    @Override
    public synchronized void offerAuthorities(AuthorityBundle bundle) {
        events.add("authorities " + bundle.jwtAuthorities().stream().map(JwtAuthority::keyId).toList());
    }

    @Override
    public synchronized void offerX509Authorities(List<byte[]> certificates) {
        events.add("x509 " + certificates.size() + " element(s)");
    }

    @Override
    public synchronized void refuse(BundleRefusal refusal) {
        events.add("refused " + refusal);
    }

    @Override
    public synchronized void absent(String detail) {
        events.add("absent " + detail);
    }

    @Override
    public synchronized void sourceUp(boolean streaming) {
        events.add("up " + (streaming ? "streaming" : "polling"));
    }

    @Override
    public synchronized void sourceDown(String error) {
        events.add("down " + error);
    }

    public synchronized int documents() {
        return documents;
    }

    public synchronized int events() {
        return events.size();
    }

    @Override
    public synchronized String toString() {
        return events.toString();
    }
}
