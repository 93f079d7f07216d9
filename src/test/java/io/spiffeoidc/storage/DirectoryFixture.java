package io.spiffeoidc.storage;

import io.spiffeoidc.config.Target;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A local directory as a static web server would serve it. "Stopping" it moves the directory away, as an
 * unmounted volume would be missing; metadata is read from the store's own files.
 */
final class DirectoryFixture implements StoreFixture {

    private final Path root;
    private final Path away;

    DirectoryFixture(Path parent) throws IOException {
        this.root = Files.createDirectories(parent.resolve("issuer"));
        this.away = parent.resolve("issuer-unmounted");
    }

    @Override
    public Target.Store settings() {
        return new Target.Directory(root);
    }

    @Override
    public String metadataPrefix() {
        return "x-meta-";
    }

    @Override
    public Optional<Fetched> fetch(String object) throws IOException {
        byte[] body;
        try {
            body = Files.readAllBytes(root.resolve(object));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, String> headers = new HashMap<>();
        Path meta = root.resolve(".spiffe-oidc").resolve(object.replace("%", "%25").replace("/", "%2F") + ".meta");
        if (Files.exists(meta)) {
            for (String line : Files.readAllLines(meta, StandardCharsets.ISO_8859_1)) {
                int equals = line.indexOf('=');
                headers.put("x-meta-" + line.substring(0, equals), line.substring(equals + 1));
            }
        }
        return Optional.of(new Fetched(body, headers));
    }

    @Override
    public void stopStore() throws IOException {
        Files.move(root, away);
    }

    @Override
    public void startStore() throws IOException {
        Files.move(away, root);
    }
}
