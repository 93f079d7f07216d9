package io.spiffeoidc.storage;

import io.spiffeoidc.crypto.Sha256;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A directory behind any static web server. Each object is written to a temporary file and renamed over
 * the old one, so a reader sees the old bytes or the new, never part of either. The entity tag is the
 * digest of the bytes; a lock file held during each check-and-write makes the conditions hold between
 * processes sharing the directory. Metadata lives beside the documents under .spiffe-oidc/, where the web
 * server need not serve it; Content-Type and Cache-Control are the web server's to send.
 */
public final class DirectoryStore implements ObjectStore {

    private static final String META = ".spiffe-oidc";
    /** File locks are per process: threads of one process (two targets on one directory) take turns here first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path root;
    private final Path lockFile;

    public DirectoryStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.lockFile = this.root.resolve(META).resolve("lock");
    }

    @Override
    public Optional<StoredObject> read(String key) throws StoreException {
        Path file = resolve(key);
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, path -> new ReentrantLock());
        local.lock();
        try (FileChannel channel = lockChannel(); FileLock lock = channel.lock(0, Long.MAX_VALUE, true)) {
            return readUnlocked(key, file);
        } catch (IOException e) {
            throw unavailable("read " + file, e);
        } finally {
            local.unlock();
        }
    }

    private Optional<StoredObject> readUnlocked(String key, Path file) throws IOException {
        byte[] body;
        try {
            body = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(new StoredObject(body, etag(body), metadata(key)));
    }

    @Override
    public String write(String key, ObjectWrite object, Precondition precondition) throws StoreException {
        Path file = resolve(key);
        ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile, path -> new ReentrantLock());
        local.lock();
        try (FileChannel channel = lockChannel(); FileLock lock = channel.lock()) {
            Optional<StoredObject> current = readUnlocked(key, file);
            boolean holds = precondition.etag().isEmpty() ? current.isEmpty()
                    : current.isPresent() && current.get().etag().equals(precondition.etag().get());
            if (!holds) {
                throw StoreException.conflict(file + " changed since it was read");
            }
            Files.createDirectories(file.getParent());
            Path metaFile = metaFile(key);
            Files.createDirectories(metaFile.getParent());
            StringBuilder text = new StringBuilder();
            new TreeMap<>(object.metadata()).forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
            replace(metaFile, text.toString().getBytes(StandardCharsets.ISO_8859_1));
            replace(file, object.body());
            return etag(object.body());
        } catch (IOException e) {
            throw unavailable("write " + file, e);
        } finally {
            local.unlock();
        }
    }

    private Map<String, String> metadata(String key) throws IOException {
        Map<String, String> metadata = new TreeMap<>();
        try {
            for (String line : Files.readAllLines(metaFile(key), StandardCharsets.ISO_8859_1)) {
                int equals = line.indexOf('=');
                if (equals > 0) {
                    metadata.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
        } catch (NoSuchFileException e) {
            // written before metadata existed, or by hand: no metadata
        }
        return metadata;
    }

    private static void replace(Path file, byte[] bytes) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(temporary, bytes);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private FileChannel lockChannel() throws IOException {
        if (!Files.isDirectory(root)) {
            // never created here: a missing directory is an unmounted volume, not a place to write
            throw new NoSuchFileException(root.toString());
        }
        Files.createDirectories(lockFile.getParent());
        return FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private Path resolve(String key) {
        return root.resolve(key);
    }

    private Path metaFile(String key) {
        return root.resolve(META).resolve(key.replace("%", "%25").replace("/", "%2F") + ".meta");
    }

    private static String etag(byte[] body) {
        return "\"" + Sha256.base64Url(body) + "\"";
    }

    private static StoreException unavailable(String what, IOException e) {
        String reason = e instanceof NoSuchFileException ? "no such file: " + e.getMessage()
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new StoreException(StoreException.Reason.UNAVAILABLE, "cannot " + what + " (" + reason + ")");
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {
        // nothing held between operations
    }
}
