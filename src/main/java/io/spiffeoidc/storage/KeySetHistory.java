package io.spiffeoidc.storage;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The key sets this instance has validated and served, oldest first, by digest. A stored key set found
 * here is one this instance has since replaced or still serves, so writing the current one never takes
 * the store backwards. Bounded: a key set older than the bound counts as unknown, which only delays.
 */
final class KeySetHistory {

    static final int BOUND = 256;

    private final Deque<String> digests = new ArrayDeque<>();

    /** Called for every change the publisher makes, in order. */
    synchronized void record(String digest) {
        if (digest.equals(digests.peekLast())) {
            return;
        }
        digests.remove(digest); // a set served again moves to the end: it is the newest now
        digests.addLast(digest);
        while (digests.size() > BOUND) {
            digests.removeFirst();
        }
    }

    synchronized boolean knows(String digest) {
        return digests.contains(digest);
    }
}
