package io.spiffeoidc.http;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.MultiMap;
import java.util.function.BiConsumer;

/**
 * Counts a request's header lines: repeated names count once per line, HTTP/2 pseudo-headers (":path"
 * and the like) not at all. Vert.x's size() counts distinct names and builds a set to do so; walking the
 * entries with one counter per event loop allocates nothing over HTTP/1.x, where the decoder's names and
 * values are already strings.
 */
final class HeaderLines implements BiConsumer<String, String> {

    private static final FastThreadLocal<HeaderLines> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected HeaderLines initialValue() {
            return new HeaderLines();
        }
    };

    private int count;

    private HeaderLines() {
    }

    static int count(MultiMap headers) {
        HeaderLines counter = PER_THREAD.get();
        counter.count = 0;
        headers.forEach(counter);
        return counter.count;
    }

    @Override
    public void accept(String name, String value) {
        if (name.isEmpty() || name.charAt(0) != ':') {
            count++;
        }
    }
}
