package io.spiffeoidc.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.testsupport.TestPublishers;
import java.time.Clock;
import org.junit.jupiter.api.Test;

class LogSanitiserTest {

    @Test
    void keepsOnlyPrintableAsciiOnOneBoundedLine() {
        assertEquals("spiffe://example.org", LogSanitiser.clean("spiffe://example.org"));
        assertEquals("a?b?c?d?e?f?g", LogSanitiser.clean("a\rb\nc\u2028d\u0085e\u001bf\"g"));
        assertEquals("x".repeat(LogSanitiser.MAX_CHARS) + "...", LogSanitiser.clean("x".repeat(1000)));
        assertEquals("(none)", LogSanitiser.clean(null));
    }

    @Test
    void aSourceErrorWithLineBreaksStaysOneLine() {
        BundlePublisher publisher = TestPublishers.publisher("test", Clock.systemUTC());
        publisher.sourceDown("UNAVAILABLE: io exception\r\n2026-01-01 INFO forged line");
        assertEquals("UNAVAILABLE: io exception??2026-01-01 INFO forged line", publisher.view().status().source().lastError().orElseThrow());
    }
}
