package io.spiffeoidc.source;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Calls back when entries of one directory change, on a daemon thread of its own. A source uses it to
 * act at once on what it would otherwise only notice at its next poll or retry. Where the file system
 * gives no events (some network and FUSE mounts) nothing is called and the source's own timer remains.
 */
public final class DirectoryWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DirectoryWatch.class);

    private final Path directory;
    private final WatchService service;

    private DirectoryWatch(Path directory, WatchService service) {
        this.directory = directory;
        this.service = service;
    }

    /**
     * Watches {@code directory} for created, modified and deleted entries whose name {@code relevant}
     * accepts (lost events count as relevant). Returns null, after one log line naming {@code fallback},
     * when the directory cannot be watched.
     */
    public static DirectoryWatch start(Path directory, String threadName, Predicate<Path> relevant, Runnable onChange,
            String fallback) {
        try {
            WatchService service = FileSystems.getDefault().newWatchService();
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            DirectoryWatch watch = new DirectoryWatch(directory, service);
            SourceThreads.daemon(threadName).newThread(() -> watch.run(relevant, onChange, fallback)).start();
            return watch;
        } catch (IOException | RuntimeException e) {
            LOG.infof("Not watching %s for changes (%s); %s", directory, e, fallback);
            return null;
        }
    }

    private void run(Predicate<Path> relevant, Runnable onChange, String fallback) {
        try {
            while (true) {
                WatchKey key = service.take();
                boolean changed = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    changed |= event.kind() == StandardWatchEventKinds.OVERFLOW
                            || (event.context() instanceof Path name && relevant.test(name));
                }
                if (changed) {
                    try {
                        onChange.run();
                    } catch (RuntimeException e) {
                        // The watch only speeds things up; whatever the callback did, keep watching.
                        LOG.debugf(e, "Change handler for %s failed", directory);
                    }
                }
                if (!key.reset()) {
                    LOG.infof("%s is no longer watchable; %s", directory, fallback);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ClosedWatchServiceException closed) {
            // closed by close()
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            LOG.debugf(e, "Closing the watch of %s failed", directory);
        }
    }
}
