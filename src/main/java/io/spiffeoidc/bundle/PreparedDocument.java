package io.spiffeoidc.bundle;

import io.netty.buffer.Unpooled;
import io.spiffeoidc.crypto.Sha256;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Response bytes with their strong entity tag. The tag is a digest of the bytes, so every replica that
 * serves the same keys hands out the same tag and caches keep working across a load balancer.
 *
 * <p>{@link #wire()} holds the same bytes in the form the HTTP server writes. Vert.x writes a slice of
 * it, so one buffer serves every request and every event loop without a copy per response. The bytes
 * live in direct memory because the native TLS engine reads only direct memory: a heap buffer would be
 * copied into a direct one for every response, which for a 100-key set is 29 KB per request. The memory
 * is the JDK's (freed when the document is collected), not Netty's pool, so replaced documents need no
 * release.
 */
public final class PreparedDocument {

    private final String etag;
    private final CharSequence etagHeader;
    private final CharSequence contentLength;
    private final Buffer wire;

    private PreparedDocument(byte[] body) {
        this.etag = "\"" + Sha256.base64Url(body) + "\"";
        this.etagHeader = HttpHeaders.createOptimized(etag);
        this.contentLength = HttpHeaders.createOptimized(Integer.toString(body.length));
        this.wire = Buffer.buffer(Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct(body))));
    }

    public static PreparedDocument of(String json) {
        return new PreparedDocument(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of the bytes: the prepared ones are shared by every response. */
    public byte[] body() {
        return wire.getBytes();
    }

    public String etag() {
        return etag;
    }

    /** The entity tag as an HTTP header value, encoded once. */
    public CharSequence etagHeader() {
        return etagHeader;
    }

    public CharSequence contentLength() {
        return contentLength;
    }

    /** Never written to: responses write slices of it. */
    public Buffer wire() {
        return wire;
    }

    private static ByteBuffer direct(byte[] body) {
        return ByteBuffer.allocateDirect(body.length).put(body).flip();
    }
}
