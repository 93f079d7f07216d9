package io.spiffeoidc.source;

import io.spiffeoidc.bundle.BundleParser;
import io.spiffeoidc.bundle.BundleSink;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Reads one trust domain's bundle file at start, whenever its directory changes, and every poll interval.
 * The watch makes updates quick; the poll covers file systems without change events. Watching the directory
 * rather than the file also catches Kubernetes' symlink swap of ConfigMap and Secret volumes.
 */
public final class FileBundleSource implements BundleSource {

    /** One byte over the limit is enough for the publisher to refuse the file as too large. */
    static final int READ_LIMIT = BundleParser.MAX_DOCUMENT_BYTES + 1;

    private final Path path;
    private final Duration pollInterval;
    private final ScheduledThreadPoolExecutor reader = SourceThreads.worker("bundle-file-reader");
    private volatile DirectoryWatch watch;
    private volatile TrustDomainSinks sinks;
    // The one trust domain a file holds: the primary of the set it is started with.
    private volatile BundleSink sink;

    public FileBundleSource(Path path, Duration pollInterval) {
        this.path = path.toAbsolutePath();
        this.pollInterval = pollInterval;
    }

    @Override
    public String describe() {
        return "file " + path;
    }

    @Override
    public void start(TrustDomainSinks sinks) {
        this.sinks = sinks;
        this.sink = sinks.primary().sink();
        reader.execute(this::read);
        reader.scheduleWithFixedDelay(this::read, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        watch = DirectoryWatch.start(path.getParent(), "bundle-file-watch", name -> true, this::changed,
                "relying on the " + pollInterval.toMillis() + " ms poll");
    }

    /** Writers usually truncate and then write: read once things settle rather than mid-write. */
    private void changed() {
        try {
            reader.schedule(this::read, 50, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile
        }
    }

    /**
     * Runs only on the reader thread, so reads never overlap. It never throws: an exception would end the
     * periodic poll silently.
     */
    private void read() {
        try {
            byte[] document = readBounded();
            sink.sourceUp(false);
            sink.offerDocument(document);
        } catch (NoSuchFileException e) {
            SourceThreads.report(sink, "file " + path + " does not exist", null);
        } catch (AccessDeniedException e) {
            SourceThreads.report(sink, "file " + path + " is not readable (permission denied)", null);
        } catch (IOException e) {
            SourceThreads.report(sink, "file " + path + " cannot be read: "
                    + (Files.isDirectory(path) ? "it is a directory" : e.getClass().getSimpleName()), null);
        } catch (RuntimeException e) {
            SourceThreads.report(sink, "file " + path + " cannot be read", e);
        }
    }

    /**
     * At most {@link #READ_LIMIT} bytes, whatever the file's size says and whatever it does meanwhile: a
     * file that grows during the read, or a device without end, costs one bounded read.
     */
    private byte[] readBounded() throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(READ_LIMIT);
        }
    }

    @Override
    public void close() {
        SourceShutdown.stop(sinks, watch, null, reader, null);
    }
}
