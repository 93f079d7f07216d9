package io.spiffeoidc.source;

import io.spiffeoidc.bundle.BundleParser;
import io.spiffeoidc.bundle.BundleRefusal;
import io.spiffeoidc.bundle.BundleSink;
import io.spiffeoidc.bundle.RefusalReason;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Reads a bundle file at start, whenever its directory changes, and every poll interval. The watch makes
 * updates quick; the poll covers file systems without change events. Watching the directory rather than
 * the file also catches Kubernetes' symlink swap of ConfigMap and Secret volumes.
 */
public final class FileBundleSource implements BundleSource {

    private static final Logger LOG = Logger.getLogger(FileBundleSource.class);

    private final Path path;
    private final Duration pollInterval;
    private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(
            daemon("bundle-file-reader"));
    private volatile WatchService watcher;
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
    public void start(BundleSink sink) {
        this.sink = sink;
        reader.execute(this::read);
        reader.scheduleWithFixedDelay(this::read, pollInterval.toMillis(), pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        startWatch();
    }

    /** Runs only on the reader thread, so reads never overlap. */
    private void read() {
        try {
            long size = Files.size(path);
            if (size > BundleParser.MAX_DOCUMENT_BYTES) {
                sink.sourceUp(false);
                sink.refuse(new BundleRefusal(RefusalReason.TOO_LARGE,
                        "file has " + size + " bytes, the limit is " + BundleParser.MAX_DOCUMENT_BYTES));
                return;
            }
            byte[] document = Files.readAllBytes(path);
            sink.sourceUp(false);
            sink.offerDocument(document);
        } catch (NoSuchFileException e) {
            sink.sourceDown("file " + path + " does not exist");
        } catch (AccessDeniedException e) {
            sink.sourceDown("file " + path + " is not readable (permission denied)");
        } catch (IOException e) {
            sink.sourceDown("file " + path + " cannot be read: "
                    + (Files.isDirectory(path) ? "it is a directory" : e.getClass().getSimpleName()));
        } catch (RuntimeException e) {
            sink.sourceDown("file " + path + " cannot be read: " + e);
        }
    }

    private void startWatch() {
        Path directory = path.getParent();
        try {
            WatchService service = FileSystems.getDefault().newWatchService();
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watcher = service;
            Thread thread = daemon("bundle-file-watch").newThread(() -> watch(service));
            thread.start();
        } catch (IOException | RuntimeException e) {
            LOG.infof("Not watching %s for changes (%s); relying on the %d ms poll", directory, e.getMessage(),
                    pollInterval.toMillis());
        }
    }

    private void watch(WatchService service) {
        try {
            while (true) {
                WatchKey key = service.take();
                key.pollEvents();
                // Writers usually truncate and then write: read once things settle rather than mid-write.
                try {
                    reader.schedule(this::read, 50, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    return;
                }
                if (!key.reset()) {
                    LOG.infof("Directory of %s is no longer watchable; relying on the %d ms poll", path,
                            pollInterval.toMillis());
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        WatchService service = watcher;
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                LOG.debug("Closing the file watch failed", e);
            }
        }
        reader.shutdownNow();
        try {
            reader.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
