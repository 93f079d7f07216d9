package io.spiffeoidc.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spiffeoidc.bundle.BundleParser;
import io.spiffeoidc.bundle.BundlePublisher;
import io.spiffeoidc.bundle.RefusalReason;
import io.spiffeoidc.testsupport.Await;
import io.spiffeoidc.testsupport.ForwardingSink;
import io.spiffeoidc.testsupport.PublisherWaits;
import io.spiffeoidc.testsupport.TestBundles;
import io.spiffeoidc.testsupport.TestPublishers;
import io.spiffeoidc.testsupport.TestSinks;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBundleSourceTest {

    private static final long HUNDRED_MB = 100L * 1024 * 1024;

    @TempDir
    Path dir;

    private Path file;
    private BundlePublisher publisher;
    private ForwardingSink sink;
    private PublisherWaits await;
    private FileBundleSource source;

    @BeforeEach
    void setUp() {
        file = dir.resolve("bundle.json");
        publisher = TestPublishers.publisher("file", Clock.systemUTC());
        sink = new ForwardingSink(publisher);
        await = new PublisherWaits(publisher, () -> "documents read " + sink.documents());
        source = new FileBundleSource(file, Duration.ofMillis(50));
    }

    @AfterEach
    void tearDown() {
        source.close();
    }

    @Test
    void aHundredMegabyteFileIsRefusedAfterReadingOneByteOverTheLimitAndCountedOnce() throws IOException {
        Files.writeString(file, TestBundles.jwks(TestBundles.ec("k1")));
        source.start(TestSinks.of("", sink));
        await.served("k1");

        try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
            sparse.setLength(HUNDRED_MB);
        }
        await.refused(RefusalReason.TOO_LARGE);
        int reads = sink.documents();
        Await.until("ten more polls", () -> sink.documents() >= reads + 10, await::state);
        assertEquals(1, publisher.view().status().refusals().count(RefusalReason.TOO_LARGE), "an unchanged file is refused once");
        assertEquals(BundleParser.MAX_DOCUMENT_BYTES + 1, sink.largestDocument());
        assertEquals(java.util.List.of("k1"), publisher.view().served().keyIds());
        assertTrue(publisher.view().status().refusals().latestRefused());
    }

    @Test
    void aFileWithoutEndIsReadNoFurtherThanTheLimit() throws IOException {
        Path endless = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(endless), "needs /dev/zero");
        Files.createSymbolicLink(file, endless);
        source.start(TestSinks.of("", sink));
        await.refused(RefusalReason.TOO_LARGE);
        assertEquals(BundleParser.MAX_DOCUMENT_BYTES + 1, sink.largestDocument());
        assertEquals("too-large: document is larger than the limit of 1048576 bytes",
                publisher.view().status().refusals().last().orElseThrow().toString());
    }

    @Test
    void anExceptionInThePollIsReportedAndPollingGoesOn() throws IOException {
        source.start(TestSinks.of("", sink));
        Await.until("the missing file reported", () -> sink.downs() >= 1, await::state);
        sink.failNextSourceDown();
        int downs = sink.downs();
        Await.until("polls after the failed report", () -> sink.downs() >= downs + 3, await::state);
        Files.writeString(file, TestBundles.jwks(TestBundles.ec("k1")));
        await.served("k1");
    }
}
