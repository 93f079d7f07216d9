package io.spiffeoidc.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PreparedDocumentTest {

    private static final String JSON = "{\"keys\":[{\"kid\":\"é\"}]}";

    @Test
    void wireBytesLengthAndTagDescribeTheSameBody() {
        PreparedDocument document = PreparedDocument.of(JSON);
        byte[] utf8 = JSON.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(utf8, document.body());
        assertArrayEquals(utf8, document.wire().getBytes());
        assertEquals(Integer.toString(utf8.length), document.contentLength().toString());
        assertEquals(document.etag(), document.etagHeader().toString());
        assertEquals(PreparedDocument.of(JSON).etag(), document.etag());
    }

    @Test
    void theSharedBytesCannotBeChangedThroughTheAccessor() {
        PreparedDocument document = PreparedDocument.of(JSON);
        document.body()[0] = 'x';
        assertEquals(JSON, document.wire().toString(StandardCharsets.UTF_8));
        assertEquals('{', document.body()[0]);
    }
}
